#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Write the seed corpora under test/fuzz/corpus/NAME/.

Each seed is a small script in the harness's own input format (see the
comment at the top of each test/fuzz/fuzz_NAME.c): valid exchanges that
reach deep states at once, so fuzzing starts from there. Run it again after
changing a harness's input format:

    test/fuzz/make_corpus.py
"""
import os
import struct

HERE = os.path.dirname(os.path.abspath(__file__))


def u8(v):
    return struct.pack("<B", v & 0xFF)


def u16(v):
    return struct.pack("<H", v & 0xFFFF)


def u32(v):
    return struct.pack("<I", v & 0xFFFFFFFF)


def u64(v):
    return struct.pack("<Q", v & 0xFFFFFFFFFFFFFFFF)


def rng(lo, hi, value):
    """Encode value for fuzz_range(lo, hi): u8, u16 or u32 by the span."""
    span = hi - lo + 1
    v = value - lo
    return u8(v) if span <= 0x100 else u16(v) if span <= 0x10000 else u32(v)


def write(name, seeds):
    d = os.path.join(HERE, "corpus", name)
    os.makedirs(d, exist_ok=True)
    for old in os.listdir(d):
        os.remove(os.path.join(d, old))
    for seed_name, data in seeds.items():
        with open(os.path.join(d, seed_name), "wb") as f:
            f.write(data)


# ---------------------------------------------------------------- TCP

(T_READ, T_WSMALL, T_WLARGE, T_NODATA, T_POLL, T_POLL2, T_CONNECT, T_PROPGET, T_RESP, T_C2H,
 T_R2T, T_TERM, T_RAW, T_DRAIN, T_DRAIN_ALL, T_ANSWER, T_ANSWER2, T_SHUT, T_CLOSE) = range(19)


def tcp_setup(hdgst=False, ddgst=False, admin=False, delay=False, small_buf=False, entries=8,
              extra_reqs=8, maxh2c_pages=1, icd_index=2):
    flags = hdgst | ddgst << 1 | admin << 2 | delay << 3 | small_buf << 4
    return (u8(flags) + rng(2, 8, entries) + rng(0, 8, extra_reqs) + rng(1, 4, maxh2c_pages) +
            u8(icd_index))


def t_read(length, shape=0):
    return u8(T_READ) + u8(shape) + rng(1, 40000, length)


def t_write_small(length, shape=0):
    return u8(T_WSMALL) + u8(shape) + rng(1, 1024, length)


def t_write_large(length, shape=0):
    return u8(T_WLARGE) + u8(shape) + rng(1, 40000, length)


def t_poll(max_=0):
    return u8(T_POLL) + u8(max_)


def t_answer(sel=0, mode=0):
    # The well-behaved answer for the sel-th outstanding command.
    return u8(T_ANSWER) + u8(sel) + u8(mode)


def t_answer_r2t(sel=0, ttag=0x55):
    return u8(T_ANSWER) + u8(sel) + u8(0) + u16(ttag)


def t_resp_next(cdw0=0):
    # CapsuleResp for the command ID the host will use next.
    return u8(T_RESP) + u8(0xE0) + u8(0) + u32(cdw0) + u8(0)


def t_c2h_rest(sel, flags):
    # C2HData carrying the rest of the sel-th outstanding command's data.
    return u8(T_C2H) + u8(sel) + u8(2) + u8(flags) + u8(0)


def tcp_seeds():
    drain = u8(T_DRAIN_ALL)
    seeds = {}
    seeds["read_resp"] = (tcp_setup() + t_read(4096) + t_poll() + drain + t_answer(0, 0) +
                          t_poll())
    seeds["read_success_flag"] = (tcp_setup() + t_read(8192) + t_poll() + drain +
                                  t_answer(0, 1) + u16(3000) + t_poll() + t_read(512) +
                                  drain + t_answer(0, 2) + t_poll())
    seeds["write_in_capsule"] = (tcp_setup() + t_write_small(512) + t_poll() + drain +
                                 t_answer(0, 0) + t_poll())
    seeds["write_r2t"] = (tcp_setup(icd_index=0) + t_write_large(16384) + t_poll() + drain +
                          t_answer_r2t() + (t_poll() + drain) * 5 + t_answer(0, 0) + t_poll())
    seeds["digests_read_write"] = (tcp_setup(hdgst=True, ddgst=True, icd_index=0) +
                                   t_read(1000, shape=0x08 | 2) + u16(300) + u16(200) +
                                   t_write_large(9000) + t_poll() + drain + t_answer(0, 0) +
                                   t_answer_r2t(1) + (t_poll() + drain) * 4 + t_answer(1, 0) +
                                   t_poll())
    seeds["admin_property_get"] = (tcp_setup(admin=True) + t_resp_next(0x12345678) +
                                   u8(T_PROPGET) + u8(0x00) + u8(1) + t_read(4096) + t_poll() +
                                   drain + t_answer(0, 0) + t_poll())
    seeds["connect_answered"] = tcp_setup() + t_resp_next(1) + u8(T_CONNECT) + u8(0)
    seeds["delayed_submit"] = (tcp_setup(delay=True) + t_read(512) + t_write_small(100) +
                               t_poll() + drain + t_answer(0, 2) + t_answer(1, 0) + t_poll())
    # The socket backs up (small buffers, nothing read), so a read's capsule
    # stays queued; the controller then sends its data with SUCCESS.
    backlog = tcp_setup(small_buf=True)
    for _ in range(6):
        backlog += t_write_small(1024)
    backlog += t_read(512) + t_c2h_rest(6, 0x0C) + t_poll()
    seeds["backlog_c2h_success"] = backlog
    seeds["term_req"] = tcp_setup() + t_read(512) + u8(T_TERM) + u16(2) + u32(8) + u8(4) + t_poll()
    return seeds


# ---------------------------------------------------------------- discovery

def disc_entry(trtype, subtype, traddr, trsvcid, subnqn, adrfam=1):
    e = bytearray(1024)
    e[0], e[1], e[2] = trtype, adrfam, subtype
    e[32:32 + len(trsvcid)] = trsvcid.encode()
    e[256:256 + len(subnqn)] = subnqn.encode()
    e[512:512 + len(traddr)] = traddr.encode()
    return bytes(e)


def disc_log(genctr, entries, numrec=None):
    hdr = bytearray(1024)
    hdr[0:16] = struct.pack("<QQ", genctr, len(entries) if numrec is None else numrec)
    return bytes(hdr) + b"".join(entries)


def disc_version(log):
    return rng(0, 8192, len(log)) + log


def disc_seeds():
    good = [
        disc_entry(3, 3, "10.0.2.15", "4420", "nqn.2014-08.org.nvmexpress.discovery"),
        disc_entry(3, 2, "10.0.2.15", "4420    ", "nqn.2026-11.io.pnvme:a"),
        disc_entry(1, 2, "fe80::1", "4421", "nqn.2026-11.io.pnvme:b", adrfam=2),
    ]
    seeds = {}
    seeds["stable"] = u16(1024) + u8(0) + disc_version(disc_log(7, good))
    seeds["big_chunks"] = u16(16384) + u8(0) + disc_version(disc_log(1, good))
    # Two versions; the second header read switches: the reader starts over.
    seeds["changes_once"] = (u16(1024) + u8(1) + disc_version(disc_log(7, good)) +
                             disc_version(disc_log(8, good[:2])) + bytes([0, 0, 0, 0, 5]))
    seeds["read_error"] = u16(2048) + u8(0) + disc_version(disc_log(3, good)) + bytes([0, 7])
    seeds["too_many"] = u16(1024) + u8(0) + disc_version(disc_log(1, good, numrec=1 << 20))
    odd = [disc_entry(2, 2, "x", "1", "nqn.x"), disc_entry(3, 2, "a" * 256, "9" * 32, "n" * 256)]
    seeds["odd_entries"] = u16(1024) + u8(0) + disc_version(disc_log(2, odd))
    return seeds


# ---------------------------------------------------------------- bring-up

VERSIONS = {"1.0": 0, "1.1": 1, "1.2": 2, "1.3": 3, "1.4": 4, "2.0": 5}


def init_config(flags=0, mqes=1023, to=2, dstrd=0, mpsmin=0, mpsmax=4, vs="1.4", rdy_after=2,
                nn=2, admin_timeout=100, io_queues=8):
    cfg = u8(0) + u8(flags)  # mode 0: bring-up
    cfg += u16(mqes) + u8(to) + u8(dstrd) + u8(mpsmin) + u8(mpsmax)
    cfg += u8(VERSIONS[vs]) + rng(0, 6, rdy_after + 1) + u8(nn)
    cfg += rng(1, 4000, admin_timeout) + rng(1, 64, io_queues)
    return cfg


def init_seeds():
    seeds = {}
    seeds["nvme14_two_ns"] = init_config()
    seeds["nvme10_scan_nn"] = init_config(vs="1.0", nn=4)
    seeds["nvme13_descs"] = init_config(vs="1.3", nn=1)
    seeds["left_enabled"] = init_config(flags=0x04 | 0x08)
    seeds["never_ready"] = init_config(rdy_after=-1)
    # Identify Namespace patched: FLBAS 1 (4 KiB + 8 bytes metadata, extended).
    answers = (u8(0) + u8(0)        # Identify Controller: template
               + u8(0)              # Set Number of Queues
               + u8(0) + u8(0)      # Active NS list: template
               + u8(0) + u8(1) + u8(1) + u16(26) + rng(1, 16, 1) + u8(0x11))
    seeds["ns_format_patch"] = init_config(nn=1) + answers
    seeds["identify_error"] = init_config() + u8(0xE0) + u16(0x0002 << 1) + u8(0)
    ns = bytearray(4096)
    ns[0:8] = struct.pack("<Q", 1 << 20)
    ns[8:16] = struct.pack("<Q", 1 << 20)
    ns[25] = 1  # NLBAF: two formats
    ns[128 + 2] = 9
    ns[132 + 2] = 12
    seeds["apply_identify"] = u8(1) + bytes(ns[:512])
    descs = (bytes([1, 8]) + b"\0\0" + bytes(range(1, 9)) + bytes([3, 16]) + b"\0\0" +
             bytes(range(16)) + bytes([4, 1]) + b"\0\0" + b"\0")
    seeds["apply_id_descs"] = u8(2) + rng(0, 4096, len(descs)) + descs
    return seeds


# ---------------------------------------------------------------- PCIe CQ

P_SUBMIT, P_SUBMIT2, P_POST, P_POST2, P_RAW, P_POLL, P_POLL2, P_DELAY, P_FAIL = range(9)


def p_submit(length, opcode_index=0):
    # shape bits 0-1 != 0: data; bits 3-4: opcode (read, write, flush, compare)
    return u8(P_SUBMIT) + u8(1 | opcode_index << 3) + rng(1, 3 * 4096, length)


def p_post(sel=0, status=None):
    mode = 4 if status is not None else 0
    # The mode byte comes first: it says which of the fields that follow are given.
    return u8(P_POST) + u8(mode) + u8(sel) + (u16(status) if status is not None else b"")


def p_poll(max_=0):
    return u8(P_POLL) + u8(max_)


def pcie_seeds():
    seeds = {}
    fixture = u8(0) + rng(2, 16, 8) + rng(1, 32, 16)
    seeds["submit_complete"] = (fixture + p_submit(4096) + p_submit(8192, 1) + p_post(0) +
                                p_post(0) + p_poll())
    seeds["errors_and_max"] = (fixture + p_submit(512) + p_submit(512) + p_submit(512) +
                               p_post(0, 0x0004) + p_post(1) + p_post(2) + p_poll(1) + p_poll())
    small = u8(0) + rng(2, 16, 2) + rng(1, 32, 4)
    seeds["ring_wraps"] = small + (p_submit(512) + p_post(0) + p_poll()) * 6
    seeds["fail_outstanding"] = fixture + p_submit(4096) + p_submit(12288, 1) + u8(P_FAIL)
    cap = 31 | 2 << 24 | 1 << 37 | 4 << 52  # MQES 31, TO 2, CSS NVM, MPSMAX 4
    mapped = u8(1) + u64(cap) + rng(0x1008, 0x4000, 0x2000) + rng(2, 16, 8)
    seeds["mapped_admin"] = mapped + p_submit(4096) + p_post(0) + p_poll()
    return seeds


# ---------------------------------------------------------------- trid

def trid_seeds():
    return {
        "pcie": b"trtype:PCIe traddr:0000:01:00.0",
        "pcie_short": b"trtype=pcie traddr=04:00.1",
        "tcp_full": (b"trtype:TCP adrfam:IPv4 traddr:192.0.2.10 trsvcid:4420 "
                     b"subnqn:nqn.2026-11.io.example:disk1"),
        "tcp_ipv6": b"trtype:tcp traddr:fe80::1 trsvcid:4420",
        "rdma": b"trtype:RDMA traddr:10.0.0.1",
        "two": b"0000:00:04.0\0trtype:TCP traddr:10.0.0.2 trsvcid:1",
    }


# ---------------------------------------------------------------- rdma_qpair

def r_setup(entries=8, sges=3, icd=True, descs=1):
    return rng(2, 16, entries) + u8((sges - 1) | (4 if icd else 0) | ((descs - 1) << 3))


def r_submit(length, opcode_index=0, vectored=False):
    shape = (1 if length else 0) | (opcode_index << 3) | (0x20 if vectored else 0)
    out = u8(0) + u8(shape)
    if length:
        out += rng(1, 3 * 4096, length)
    if vectored:
        out += u8(1)  # two pieces
        out += rng(1, length, length // 2)
    return out


def r_send_done(slot, fail=False):
    return u8(2) + u8(slot) + u8(0 if fail else 1)


def r_respond(slot, cid, sc=None):
    shape = 2 if sc is not None else 0
    out = u8(3) + u8(slot) + u8(shape) + u8(cid)
    if sc is not None:
        out += u8(0) + u8(sc)
    return out + u32(0)


def r_poll(max_=0):
    return u8(6) + u8(max_)


def rdma_seeds():
    seeds = {}
    seeds["read_both_orders"] = (r_setup() + r_submit(4096) + r_submit(512, 1) + r_poll() +
                                 r_respond(0, 0) + r_poll() + r_send_done(0) + r_poll() +
                                 r_send_done(1) + r_poll() + r_respond(1, 1) + r_poll())
    seeds["vectored_write"] = (r_setup(descs=2) + r_submit(6144, 1, True) + r_poll() +
                               r_send_done(0) + r_respond(2, 0, 0x81) + r_poll())
    seeds["flushed_send"] = (r_setup(entries=4) + r_submit(4096) + r_submit(4096) + r_poll() +
                             r_send_done(1, fail=True) + r_poll() + r_submit(512) + r_poll())
    seeds["duplicate_response"] = (r_setup() + r_submit(8192) + r_poll() + r_respond(0, 0) +
                                   r_respond(1, 0) + r_poll() + r_send_done(0) + r_poll())
    return seeds


def main():
    write("tcp_qpair", tcp_seeds())
    write("discovery_log", disc_seeds())
    write("ctrlr_init", init_seeds())
    write("pcie_cq", pcie_seeds())
    write("trid", trid_seeds())
    write("rdma_qpair", rdma_seeds())


if __name__ == "__main__":
    main()
