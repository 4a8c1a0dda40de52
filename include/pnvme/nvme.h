/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * pnvme public API: a userspace, polled-mode NVMe driver.
 *
 * Conventions: every call returns 0 (or a count) on success and a negative
 * errno on failure, logging one line that names the problem. Device status
 * arrives in completion callbacks as the NVMe status (SCT/SC). Option
 * structures carry their size so the ABI can grow.
 */
#ifndef PNVME_NVME_H
#define PNVME_NVME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "pnvme/env.h"
#include "pnvme/nvme_spec.h"

#ifdef __cplusplus
extern "C" {
#endif

/** A controller (opaque). */
struct pnvme_ctrlr;
/** A namespace (opaque). */
struct pnvme_ns;
/** A queue pair (opaque). */
struct pnvme_qpair;

/* ------------------------------------------------------------------ */
/* Transport IDs                                                       */
/* ------------------------------------------------------------------ */

/** Transport types. */
enum pnvme_transport_type {
	PNVME_TRANSPORT_PCIE = 1,
	PNVME_TRANSPORT_TCP = 2,
	PNVME_TRANSPORT_RDMA = 3,
};

/** Address families (NVMe-oF ADRFAM values). */
enum pnvme_adrfam {
	PNVME_ADRFAM_NONE = 0,
	PNVME_ADRFAM_IPV4 = 1,
	PNVME_ADRFAM_IPV6 = 2,
	PNVME_ADRFAM_IB = 3,
	PNVME_ADRFAM_FC = 4,
	PNVME_ADRFAM_INTRA_HOST = 0xfe,
};

/** Longest transport address, without terminator. */
#define PNVME_TRADDR_MAX_LEN 256
/** Longest transport service ID, without terminator. */
#define PNVME_TRSVCID_MAX_LEN 32
/** Longest NQN, without terminator. */
#define PNVME_NQN_MAX_LEN 223
/** NQN of a discovery service. */
#define PNVME_DISCOVERY_NQN "nqn.2014-08.org.nvmexpress.discovery"

/** Where a controller is. */
struct pnvme_transport_id {
	enum pnvme_transport_type trtype;        /**< transport type */
	enum pnvme_adrfam adrfam;                /**< address family (fabrics) */
	/** Transport address: the PCI address (DDDD:BB:DD.F) for PCIe, the
	 * IP address (or host name) for TCP and RDMA. Null terminated. */
	char traddr[PNVME_TRADDR_MAX_LEN + 1];
	/** Transport service ID (fabrics): the port, e.g. "4420". */
	char trsvcid[PNVME_TRSVCID_MAX_LEN + 1];
	/** NQN of the NVM subsystem (fabrics); empty or PNVME_DISCOVERY_NQN
	 * names a discovery service. */
	char subnqn[PNVME_NQN_MAX_LEN + 1];
};

/**
 * Parse a transport ID string of whitespace-separated key:value (or
 * key=value) pairs, e.g. "trtype:PCIe traddr:0000:00:04.0" or
 * "trtype:TCP adrfam:IPv4 traddr:127.0.0.1 trsvcid:4420 subnqn:nqn...".
 *
 * Keys: trtype (PCIe, TCP, RDMA), adrfam (IPv4, IPv6, IB, FC, intra_host),
 * traddr, trsvcid, subnqn. Keys and enumerated values are case-insensitive.
 * A PCIe traddr is normalised to DDDD:BB:DD.F.
 *
 * @return 0, or -EINVAL naming the unknown key, duplicate key or bad value.
 */
int pnvme_transport_id_parse(struct pnvme_transport_id *trid, const char *str);

/** @return 0 when @p a and @p b name the same controller, non-zero otherwise. */
int pnvme_transport_id_compare(const struct pnvme_transport_id *a,
			       const struct pnvme_transport_id *b);

/** Format @p trid as a parseable string. @return 0 or -ENOSPC. */
int pnvme_transport_id_fmt(char *buf, size_t size, const struct pnvme_transport_id *trid);

/** @return "PCIe", "TCP", "RDMA" or NULL. */
const char *pnvme_transport_type_str(enum pnvme_transport_type trtype);

/** @return "IPv4", "IPv6", ... or NULL. */
const char *pnvme_adrfam_str(enum pnvme_adrfam adrfam);

/* ------------------------------------------------------------------ */
/* Controller options, probe and attach                                */
/* ------------------------------------------------------------------ */

/** Options chosen before a controller is attached. */
struct pnvme_ctrlr_opts {
	/** Size of this structure as the caller knows it. */
	size_t opts_size;
	/** I/O queue pairs to ask the controller for. Default 64. */
	uint32_t num_io_queues;
	/** Admin queue entries (2-4096). Default 32. */
	uint32_t admin_queue_size;
	/** Deadline for each admin command during bring-up, ms. Default 10000. */
	uint32_t admin_timeout_ms;
	/** Keep Alive Timeout for fabrics, ms (0 = off). Default 10000. */
	uint32_t keep_alive_timeout_ms;
	/** Host NQN for fabrics. Default derived from the host ID. */
	char hostnqn[PNVME_NQN_MAX_LEN + 1];
	/** 128-bit host identifier for fabrics. Default: generated. */
	uint8_t extended_host_id[16];
	/** NVMe/TCP: ask for header digests (CRC32C) on every PDU. Default off. */
	bool header_digest;
	/** NVMe/TCP: ask for data digests (CRC32C) on every PDU's data. Default off. */
	bool data_digest;
};

/**
 * Fill @p opts with defaults.
 * @param opts structure to fill.
 * @param opts_size sizeof(*opts) as the caller was compiled with.
 */
void pnvme_ctrlr_get_default_opts(struct pnvme_ctrlr_opts *opts, size_t opts_size);

/**
 * Called for each controller found; return true to attach it. @p opts may be
 * changed for that controller.
 */
typedef bool (*pnvme_probe_cb)(void *cb_ctx, const struct pnvme_transport_id *trid,
			       struct pnvme_ctrlr_opts *opts);

/** Called for each controller attached and ready for use. */
typedef void (*pnvme_attach_cb)(void *cb_ctx, const struct pnvme_transport_id *trid,
				struct pnvme_ctrlr *ctrlr, const struct pnvme_ctrlr_opts *opts);

/**
 * Called when an attached controller is gone (hot-removed), once, from
 * pnvme_probe() or pnvme_hotplug_poll() in the caller's thread. The
 * controller has failed: every outstanding request was completed with an
 * error and later submissions get -ENXIO. The application still calls
 * pnvme_detach().
 */
typedef void (*pnvme_remove_cb)(void *cb_ctx, struct pnvme_ctrlr *ctrlr);

/**
 * Find controllers, offer each to @p probe_cb, bring up those accepted and
 * hand each ready one to @p attach_cb. Controllers come up in parallel.
 *
 * With a PCIe @p trid (or NULL) every NVMe controller bound to vfio-pci or
 * uio_pci_generic is considered, or only the one at trid->traddr when given.
 * A call also checks controllers attached by earlier calls with the same
 * @p remove_cb and reports those that are gone.
 *
 * @return 0 when every accepted controller attached; -ENODEV when the
 *         controller named by trid->traddr does not exist; -EBUSY when it is
 *         bound to a kernel driver; -EIO when a controller failed to come up
 *         (others may still have attached); another negative errno.
 */
int pnvme_probe(const struct pnvme_transport_id *trid, void *cb_ctx, pnvme_probe_cb probe_cb,
		pnvme_attach_cb attach_cb, pnvme_remove_cb remove_cb);

/**
 * Watch the PCIe bus for controllers that come and go; cheap, never blocks.
 * Call it periodically (e.g. every 100 ms) from one application thread.
 *
 * The first call starts listening to the kernel's device events and probes
 * every PCIe controller, as pnvme_probe(NULL, ...) does, so nothing present
 * before is missed. Later calls read the pending events (usually none): an
 * NVMe controller bound to vfio-pci or uio_pci_generic is probed
 * (@p probe_cb, then @p attach_cb once it is ready); the removal of an
 * attached controller's device, or its unbinding, marks the controller
 * removed. Every call then runs @p remove_cb, once each, for controllers
 * attached with the same @p remove_cb that are gone, whether this monitor
 * or the controller's health check found it (see
 * pnvme_ctrlr_process_admin_completions()). The application still calls
 * pnvme_detach() for them. Without access to the events (no permission) it
 * logs one line and probes the whole bus once a second instead.
 *
 * @param cb_ctx passed to every callback.
 * @param probe_cb may be NULL (every controller found is attached).
 * @param attach_cb required.
 * @param remove_cb required.
 * @return 0; -EINVAL (one line) when a required callback is NULL; what
 *         pnvme_probe() returns for the probe it ran; another negative
 *         errno when reading the events failed (one line).
 */
int pnvme_hotplug_poll(void *cb_ctx, pnvme_probe_cb probe_cb, pnvme_attach_cb attach_cb,
		       pnvme_remove_cb remove_cb);

/**
 * Attach the one controller named by @p trid and wait until it is ready.
 *
 * @param trid the controller: PCIe, or a fabrics NVM subsystem.
 * @param opts options, or NULL for defaults.
 * @param opts_size sizeof(*opts) as the caller knows it.
 * @return the controller, or NULL (the log says why).
 */
struct pnvme_ctrlr *pnvme_connect(const struct pnvme_transport_id *trid,
				  const struct pnvme_ctrlr_opts *opts, size_t opts_size);

/**
 * Shut the controller down (CC.SHN, waiting for CSTS.SHST) and free it.
 * Every outstanding request completes with an aborted status first.
 *
 * @return 0, or -ETIMEDOUT when the shutdown did not complete in time (the
 *         controller is freed all the same).
 */
int pnvme_detach(struct pnvme_ctrlr *ctrlr);

/* ------------------------------------------------------------------ */
/* Controller                                                          */
/* ------------------------------------------------------------------ */

/** Capability flags from pnvme_ctrlr_get_flags(). */
enum pnvme_ctrlr_flags {
	/** The controller executes compare-and-write as a fused pair (FUSES). */
	PNVME_CTRLR_FUSED_COMPARE_WRITE = 1u << 0,
	/** SGLs may describe I/O data (SGLS). */
	PNVME_CTRLR_SGL_SUPPORTED = 1u << 1,
	/** Shadow doorbells (Doorbell Buffer Config) are offered (OACS). */
	PNVME_CTRLR_SHADOW_DOORBELL = 1u << 2,
	/** A volatile write cache is present (VWC). */
	PNVME_CTRLR_VOLATILE_WRITE_CACHE = 1u << 3,
};

/** @return the Identify Controller data read at bring-up. */
const struct pnvme_ctrlr_data *pnvme_ctrlr_get_data(const struct pnvme_ctrlr *ctrlr);

/** @return the CAP register read at bring-up. */
union pnvme_cap_register pnvme_ctrlr_get_regs_cap(const struct pnvme_ctrlr *ctrlr);

/** @return the VS register read at bring-up. */
union pnvme_vs_register pnvme_ctrlr_get_regs_vs(const struct pnvme_ctrlr *ctrlr);

/** @return the controller's transport ID. */
const struct pnvme_transport_id *pnvme_ctrlr_get_transport_id(const struct pnvme_ctrlr *ctrlr);

/**
 * PCI identification of a PCIe controller.
 * @return 0, or -ENOTSUP for other transports.
 */
int pnvme_ctrlr_get_pci_id(const struct pnvme_ctrlr *ctrlr, struct pnvme_pci_id *id);

/** @return a mask of enum pnvme_ctrlr_flags. */
uint64_t pnvme_ctrlr_get_flags(const struct pnvme_ctrlr *ctrlr);

/** @return the largest transfer one command may carry, in bytes (from MDTS). */
uint32_t pnvme_ctrlr_get_max_xfer_size(const struct pnvme_ctrlr *ctrlr);

/** @return I/O queue pairs the controller granted (Set Features, Number of Queues). */
uint32_t pnvme_ctrlr_get_num_io_queues(const struct pnvme_ctrlr *ctrlr);

/** @return the largest namespace ID (Identify Controller NN). */
uint32_t pnvme_ctrlr_get_num_ns(const struct pnvme_ctrlr *ctrlr);

/** @return the first active namespace ID, or 0 when there is none. */
uint32_t pnvme_ctrlr_get_first_active_ns(const struct pnvme_ctrlr *ctrlr);

/** @return the next active namespace ID after @p prev_nsid, or 0. */
uint32_t pnvme_ctrlr_get_next_active_ns(const struct pnvme_ctrlr *ctrlr, uint32_t prev_nsid);

/** @return the namespace object for an active @p nsid, or NULL. The
 * namespace table (this and the two iterators above) is replaced by
 * namespace rescans in the thread polling the admin queue: call them from
 * that thread, or keep the namespace objects, which stay valid. */
struct pnvme_ns *pnvme_ctrlr_get_ns(struct pnvme_ctrlr *ctrlr, uint32_t nsid);

/** @return true when the controller has failed (fatal status, removal, timeout). */
bool pnvme_ctrlr_is_failed(const struct pnvme_ctrlr *ctrlr);

/**
 * Reset the controller in place and wait until it is back. Every handle
 * stays valid: the controller, its namespaces and its I/O qpairs.
 *
 * Every command outstanding when the device stops completes exactly once,
 * with an abort status (ABORTED - SQ DELETION), in the thread that polls
 * its queue. Then the bring-up runs again: on PCIe CC.EN=0, then the
 * admin queue, Identify and the namespaces; on fabrics a new association
 * (admin connection and Connect). Namespaces are identified again: one
 * that changed size or format is updated in place, one that is gone is
 * marked so its commands fail with -ENXIO (pnvme_ns_is_active()).
 *
 * I/O qpairs come back in their own threads, with no lock on the I/O path:
 * a PCIe qpair's queue is created again by its next
 * pnvme_qpair_process_completions(); a fabrics qpair needs
 * pnvme_ctrlr_reconnect_io_qpair() (its poll returns -ENXIO until then).
 * Meanwhile submissions on a qpair get -ENXIO.
 *
 * Also the way out of a failed controller (pnvme_ctrlr_is_failed()).
 *
 * @return 0; -EBUSY while another reset or the bring-up is in progress;
 * -ENXIO when the controller did not come back (it is failed, and one line
 * names the bring-up state that failed) or was removed; -EINVAL for NULL.
 */
int pnvme_ctrlr_reset(struct pnvme_ctrlr *ctrlr);

/**
 * The non-blocking form of pnvme_ctrlr_reset(), first half: stop the
 * controller (its state becomes resetting) and start bringing it back.
 * Drive it with pnvme_ctrlr_reconnect_poll_async(), or with
 * pnvme_ctrlr_process_admin_completions(), which does the same.
 *
 * @return 0, or as pnvme_ctrlr_reset().
 */
int pnvme_ctrlr_disconnect(struct pnvme_ctrlr *ctrlr);

/**
 * Advance a reset begun by pnvme_ctrlr_disconnect().
 *
 * @return -EAGAIN while it is in progress, 0 once the controller is back
 * (or no reset was in progress), -ENXIO when it did not come back.
 */
int pnvme_ctrlr_reconnect_poll_async(struct pnvme_ctrlr *ctrlr);

/**
 * Connect an I/O qpair again after a reset, or after its own connection
 * failed, in the thread that owns it, outside its completion callbacks.
 * Its handle, request pool and error injections stay. Does nothing for a
 * qpair that is connected.
 *
 * @return 0; -EAGAIN while the controller is still resetting (try again
 * later); -ENXIO when the controller failed or the connection could not be
 * made (logged); -EINVAL for NULL or the admin qpair.
 */
int pnvme_ctrlr_reconnect_io_qpair(struct pnvme_qpair *qpair);

/** Completion callback. @p cpl is valid only during the call. */
typedef void (*pnvme_cmd_cb)(void *cb_arg, const struct pnvme_cpl *cpl);

/** Optional fields of pnvme_ctrlr_cmd_get_log_page(). */
struct pnvme_log_page_opts {
	/** Size of this structure as the caller knows it. */
	size_t opts_size;
	/** Byte offset into the log (a multiple of 4). Default 0. */
	uint64_t offset;
	/** Log Specific Field (LSP, 7 bits). Default 0. */
	uint8_t lsp;
	/** Retain Asynchronous Event: read without clearing the event that
	 * names this log. Default false (clear it). */
	bool rae;
	/** Log Specific Identifier (LSI). Default 0. */
	uint16_t lsi;
	/** Command Set Identifier (CSI). Default 0 (NVM). */
	uint8_t csi;
};

/**
 * Read @p len bytes of log page @p lid (any log ID, including vendor ones)
 * for namespace @p nsid (PNVME_NSID_ALL or 0 for controller-wide logs).
 * A log larger than the controller's transfer limit is read in pieces, one
 * after the other; @p cb_fn runs once, with the first error or the last
 * piece's completion. @p buf need not be DMA-able: other memory is read
 * through a DMA buffer and copied.
 *
 * @param ctrlr the controller.
 * @param lid log page identifier (enum pnvme_log_page, or any other).
 * @param nsid namespace ID, or PNVME_NSID_ALL / 0 for the controller.
 * @param buf receives the log.
 * @param len bytes to read, a multiple of 4.
 * @param opts NULL for the defaults.
 * @param cb_fn runs once when the read is done.
 * @param cb_arg passed to @p cb_fn.
 * @return 0; -EINVAL (logged) for a NULL controller or buffer, a length
 *         that is 0 or not a multiple of 4, a misaligned offset, or an LSP
 *         above 127; -ENOMEM; -ENXIO when the controller has failed.
 */
int pnvme_ctrlr_cmd_get_log_page(struct pnvme_ctrlr *ctrlr, uint8_t lid, uint32_t nsid, void *buf,
				 uint32_t len, const struct pnvme_log_page_opts *opts,
				 pnvme_cmd_cb cb_fn, void *cb_arg);

/** Get Features selection (SEL): the value in use, its default, the one saved. */
enum pnvme_feat_sel {
	PNVME_FEAT_SEL_CURRENT = 0,
	PNVME_FEAT_SEL_DEFAULT = 1,
	PNVME_FEAT_SEL_SAVED = 2,
	PNVME_FEAT_SEL_SUPPORTED = 3, /**< capabilities: saveable, changeable, per namespace */
};

/**
 * Get Features @p fid (dword 0 of the completion holds the value; features
 * with a data structure fill @p buf, @p len bytes, else NULL and 0).
 * Non-DMA memory is read through a DMA buffer.
 *
 * @param ctrlr the controller.
 * @param fid feature identifier (enum pnvme_feature_id, or any other).
 * @param sel which value to read: current, default, saved or capabilities.
 * @param nsid the namespace, for per-namespace features (else 0).
 * @param cdw11 dword 11 as the feature defines it (0 for most).
 * @param buf receives the feature's data structure, or NULL.
 * @param len bytes of @p buf, or 0.
 * @param cb_fn runs with the completion; dword 0 holds the value.
 * @param cb_arg passed to @p cb_fn.
 * @return 0, -EINVAL (logged), -ENOMEM, -ENXIO.
 */
int pnvme_ctrlr_cmd_get_feature(struct pnvme_ctrlr *ctrlr, uint8_t fid, enum pnvme_feat_sel sel,
				uint32_t nsid, uint32_t cdw11, void *buf, uint32_t len,
				pnvme_cmd_cb cb_fn, void *cb_arg);

/**
 * Set Features @p fid to dwords 11-12 (and @p buf, @p len bytes, for
 * features with a data structure) for namespace @p nsid (0: not
 * per-namespace); @p save keeps the value across resets where the feature
 * is saveable. Non-DMA memory is sent through a DMA
 * buffer.
 *
 * @return 0, -EINVAL (logged), -ENOMEM, -ENXIO.
 */
int pnvme_ctrlr_cmd_set_feature(struct pnvme_ctrlr *ctrlr, uint8_t fid, bool save, uint32_t nsid,
				uint32_t cdw11, uint32_t cdw12, void *buf, uint32_t len,
				pnvme_cmd_cb cb_fn, void *cb_arg);

/** Format NVM settings (pnvme_ctrlr_cmd_format). */
struct pnvme_format {
	uint8_t lbaf; /**< LBA format index, 0-63 (Identify Namespace lists them) */
	/** Metadata Settings: true transfers metadata within the data
	 * (extended LBAs), false in a separate buffer. */
	bool mset;
	uint8_t pi; /**< protection information type: 0 none, 1-3 */
	/** PI Location: true in the first bytes of the metadata, false in the last. */
	bool pil;
	uint8_t ses; /**< Secure Erase: 0 none, 1 user data erase, 2 cryptographic erase */
};

/**
 * Format NVM namespace @p nsid (PNVME_NSID_ALL: every namespace the
 * controller formats together) to @p fmt. Once the controller answers with
 * success the library identifies the namespaces again, updating their
 * objects in place (a new block size shows in pnvme_ns_get_sector_size()
 * without a restart), and only then runs @p cb_fn with the controller's
 * completion. Formatting can take long: no command timeout applies unless
 * pnvme_ctrlr_register_timeout_callback() set one.
 *
 * @return 0; -EINVAL (logged) for NULL arguments or a field out of range;
 *         -ENOTSUP (logged) when the controller has no Format NVM (OACS
 *         bit 1); -ENOMEM; -ENXIO when the controller has failed.
 */
int pnvme_ctrlr_cmd_format(struct pnvme_ctrlr *ctrlr, uint32_t nsid, const struct pnvme_format *fmt,
			   pnvme_cmd_cb cb_fn, void *cb_arg);

/** Namespace Management and Namespace Attachment selections. */
enum pnvme_ns_manage_sel {
	PNVME_NS_MANAGE_CREATE = 0, /**< create: the completion's dword 0 is the new ID */
	PNVME_NS_MANAGE_DELETE = 1,
};
/** Namespace Attachment selection: attach or detach. */
enum pnvme_ns_attach_sel {
	PNVME_NS_ATTACH_CTRLRS = 0,
	PNVME_NS_DETACH_CTRLRS = 1,
};

/**
 * Namespace Management: create a namespace from @p data (NSZE, NCAP, FLBAS,
 * DPS, NMIC and the other host-settable fields of an Identify Namespace
 * structure; @p nsid 0), or delete namespace @p nsid (PNVME_NSID_ALL:
 * every one; @p data NULL). A created namespace is attached to no
 * controller yet (pnvme_ctrlr_cmd_ns_attach). After a success the library
 * identifies the namespaces again before @p cb_fn runs.
 *
 * @return 0; -EINVAL (logged); -ENOTSUP (logged) without Namespace
 *         Management (OACS bit 3); -ENOMEM; -ENXIO.
 */
int pnvme_ctrlr_cmd_ns_manage(struct pnvme_ctrlr *ctrlr, enum pnvme_ns_manage_sel sel,
			      uint32_t nsid, const struct pnvme_ns_data *data, pnvme_cmd_cb cb_fn,
			      void *cb_arg);

/**
 * Namespace Attachment: attach namespace @p nsid to, or detach it from,
 * the controllers in @p ctrlrs (NULL: this controller alone). After a
 * success the library identifies the namespaces again, so an attached
 * namespace is usable (and a detached one's commands get -ENXIO) when
 * @p cb_fn runs; the namespace-change callback is told too.
 *
 * @return 0; -EINVAL (logged); -ENOTSUP (logged) without Namespace
 *         Management (OACS bit 3); -ENOMEM; -ENXIO.
 */
int pnvme_ctrlr_cmd_ns_attach(struct pnvme_ctrlr *ctrlr, enum pnvme_ns_attach_sel sel,
			      uint32_t nsid, const struct pnvme_ctrlr_list *ctrlrs,
			      pnvme_cmd_cb cb_fn, void *cb_arg);

/**
 * Firmware Image Download: send @p len bytes of @p image, to be placed at
 * byte @p offset of the image being assembled. The library cuts it into
 * Firmware Image Download commands of at most the transfer limit, each a
 * multiple of the controller's update granularity (FWUG) and starting on
 * it, one after the other; @p cb_fn runs once, with the first error or the
 * last piece's completion. Then pnvme_ctrlr_cmd_fw_commit() activates it.
 *
 * @return 0; -EINVAL (logged) for NULL arguments, a length or offset that
 *         is not a multiple of 4 or breaks the granularity, or a
 *         granularity above the transfer limit; -ENOTSUP (logged) without
 *         firmware commands (OACS bit 2); -ENOMEM; -ENXIO.
 */
int pnvme_ctrlr_cmd_fw_download(struct pnvme_ctrlr *ctrlr, const void *image, uint32_t len,
				uint32_t offset, pnvme_cmd_cb cb_fn, void *cb_arg);

/** Firmware Commit actions (CA). */
enum pnvme_fw_commit_action {
	PNVME_FW_COMMIT_REPLACE = 0,              /**< downloaded image to the slot */
	PNVME_FW_COMMIT_REPLACE_AND_ACTIVATE = 1, /**< ... and activate at the next reset */
	PNVME_FW_COMMIT_ACTIVATE = 2,             /**< the slot's image at the next reset */
	PNVME_FW_COMMIT_REPLACE_ACTIVATE_NOW = 3, /**< replace and activate without reset */
	PNVME_FW_COMMIT_REPLACE_BOOT_PARTITION = 6,
	PNVME_FW_COMMIT_ACTIVATE_BOOT_PARTITION = 7,
};

/**
 * Firmware Commit slot @p slot (0: the controller chooses; 1-7) with
 * @p action; @p bpid selects boot partition 1 for actions 6 and 7. Some
 * successes come back as command-specific statuses that ask for a reset
 * (FIRMWARE ACTIVATION REQUIRES ... RESET): pnvme_status_string() names
 * them.
 *
 * @return 0; -EINVAL (logged) for a slot above 7 or the controller's slot
 *         count (FRMW), or an action that is reserved; -ENOTSUP (logged)
 *         without firmware commands; -ENXIO.
 */
int pnvme_ctrlr_cmd_fw_commit(struct pnvme_ctrlr *ctrlr, uint8_t slot,
			      enum pnvme_fw_commit_action action, bool bpid, pnvme_cmd_cb cb_fn,
			      void *cb_arg);

/** Device Self-test codes (STC). */
enum pnvme_self_test_code {
	PNVME_SELF_TEST_SHORT = 0x1,
	PNVME_SELF_TEST_EXTENDED = 0x2,
	PNVME_SELF_TEST_VENDOR = 0xe,
	PNVME_SELF_TEST_ABORT = 0xf,
};

/**
 * Start (or abort) a device self-test of namespace @p nsid (0: the
 * controller alone, PNVME_NSID_ALL: it and every namespace). The
 * completion only says it started; the Device Self-test log page (06h,
 * struct pnvme_self_test_log) tells its progress and result.
 *
 * @return 0; -EINVAL (logged) for a code that is none of the above;
 *         -ENOTSUP (logged) without Device Self-test (OACS bit 4); -ENXIO.
 */
int pnvme_ctrlr_cmd_self_test(struct pnvme_ctrlr *ctrlr, uint32_t nsid,
			      enum pnvme_self_test_code code, pnvme_cmd_cb cb_fn, void *cb_arg);

/** Sanitize actions (SANACT). */
enum pnvme_sanitize_action {
	PNVME_SANITIZE_EXIT_FAILURE = 1,
	PNVME_SANITIZE_BLOCK_ERASE = 2,
	PNVME_SANITIZE_OVERWRITE = 3,
	PNVME_SANITIZE_CRYPTO_ERASE = 4,
};

/** Sanitize settings (pnvme_ctrlr_cmd_sanitize). */
struct pnvme_sanitize {
	enum pnvme_sanitize_action action; /**< Sanitize Action */
	bool ause;       /**< Allow Unrestricted Sanitize Exit */
	uint8_t owpass;  /**< overwrite passes, 0-15 (0 means 16) */
	bool oipbp;      /**< overwrite: invert the pattern between passes */
	bool ndas;       /**< No Deallocate After Sanitize */
	uint32_t ovrpat; /**< overwrite pattern */
};

/**
 * Sanitize the whole NVM subsystem: every user data, every namespace. The
 * completion only says it started; the Sanitize Status log page (81h)
 * tells its progress. Destroys all data: callers should ask twice.
 *
 * @return 0; -EINVAL (logged) for a NULL argument or a field out of range;
 *         -ENOTSUP (logged) when the controller lacks the action
 *         (SANICAP); -ENXIO.
 */
int pnvme_ctrlr_cmd_sanitize(struct pnvme_ctrlr *ctrlr, const struct pnvme_sanitize *opts,
			     pnvme_cmd_cb cb_fn, void *cb_arg);

/** Asynchronous event types (bits 2:0 of the event's dword 0). */
enum pnvme_async_event_type {
	PNVME_ASYNC_EVENT_TYPE_ERROR = 0,
	PNVME_ASYNC_EVENT_TYPE_SMART = 1, /**< SMART / health status */
	PNVME_ASYNC_EVENT_TYPE_NOTICE = 2,
	PNVME_ASYNC_EVENT_TYPE_IO = 6, /**< I/O command set specific */
	PNVME_ASYNC_EVENT_TYPE_VENDOR = 7,
};

/** One asynchronous event, as pnvme_aer_cb receives it. */
struct pnvme_async_event {
	/** The event's completion dword 0, and its fields. */
	uint32_t cdw0;
	uint8_t type;     /**< enum pnvme_async_event_type */
	uint8_t info;     /**< Asynchronous Event Information */
	uint8_t log_page; /**< the log page that tells more */
	/** The log page, read (and so cleared) by the library before the
	 * callback: @p log_len bytes at @p log, valid during the call only;
	 * NULL with @p log_rc saying why (-ENOTSUP: a log the library does
	 * not read for events; or the read's error). For a discovery
	 * controller's log change (log page 70h) the whole Discovery Log Page
	 * is read again, and @p log holds its entries (struct
	 * pnvme_discovery_log_entry, @p log_len / 1024 of them). */
	const void *log;
	uint32_t log_len; /**< bytes at @p log */
	int log_rc;       /**< 0 when @p log was read, else why it is NULL */
};

/** Called for each asynchronous event, from the thread polling the admin
 * queue (pnvme_ctrlr_process_admin_completions). */
typedef void (*pnvme_aer_cb)(void *arg, const struct pnvme_async_event *event);

/**
 * Hear the controller's asynchronous events. At bring-up (and after each
 * reset) the library enables what the controller supports (SMART/health
 * critical warnings, namespace attribute, firmware activation and
 * telemetry notices; on a discovery controller, discovery log changes) and
 * keeps up to AERL+1 (at most 4) Asynchronous Event
 * Requests outstanding, each sent again after its event. For each event it
 * reads the log page the event names, which clears it, then calls @p cb.
 * Replaces any earlier callback; NULL stops the calls (events are still
 * read and cleared).
 *
 * @return 0, or -EINVAL for a NULL controller.
 */
int pnvme_ctrlr_register_aer_callback(struct pnvme_ctrlr *ctrlr, pnvme_aer_cb cb, void *arg);

/** What happened to a namespace (pnvme_ns_change_cb). */
enum pnvme_ns_change {
	PNVME_NS_ADDED = 0,   /**< newly active: usable from now on */
	PNVME_NS_CHANGED = 1, /**< size or format changed; updated in place */
	PNVME_NS_REMOVED = 2, /**< no longer active: its commands get -ENXIO */
};

/**
 * Called once per namespace that a namespace rescan (a Namespace Attribute
 * Changed event, a Format NVM, a namespace attach or detach through this
 * library) or a reset found added, changed or removed, from the thread
 * polling the admin queue. @p ns stays valid until the controller is
 * detached, removed namespaces included (pnvme_ns_is_active() is false).
 */
typedef void (*pnvme_ns_change_cb)(void *arg, struct pnvme_ns *ns, enum pnvme_ns_change change);

/**
 * Hear of namespaces that appear, change or go. Namespace objects are
 * updated in place by the thread polling the admin queue: an application
 * that submits I/O from other threads to a namespace that may change
 * should pause that I/O when told (a changed block size changes what a
 * block count means).
 *
 * Replaces any earlier callback; NULL stops the calls.
 *
 * @return 0, or -EINVAL for a NULL controller.
 */
int pnvme_ctrlr_register_ns_change_callback(struct pnvme_ctrlr *ctrlr, pnvme_ns_change_cb cb,
					    void *arg);

/**
 * Identify the active namespaces again, as a Namespace Attribute Changed
 * event does, and tell the namespace-change callback what changed. Runs in
 * the background, driven by pnvme_ctrlr_process_admin_completions(); a
 * rescan asked for while one runs makes it run once more.
 *
 * @param ctrlr the controller.
 * @param cb_fn optional: runs once the table is up to date, with a
 *        success completion, or with ABORTED - SQ DELETION when the rescan
 *        could not finish (the controller failed or was detached).
 * @param cb_arg passed to @p cb_fn.
 * @return 0, -EINVAL for a NULL controller, -ENOMEM, -ENXIO when the
 *         controller has failed.
 */
int pnvme_ctrlr_rescan_namespaces(struct pnvme_ctrlr *ctrlr, pnvme_cmd_cb cb_fn, void *cb_arg);

/**
 * Submit a raw admin command. The library sets the command ID and the data
 * pointer; @p buf must come from pnvme_dma_zmalloc() (or be NULL with
 * @p len 0).
 *
 * @return 0, -EINVAL for bad arguments, -ENOMEM when no request is free,
 *         -ENXIO when the controller has failed.
 */
int pnvme_ctrlr_cmd_admin_raw(struct pnvme_ctrlr *ctrlr, const struct pnvme_cmd *cmd, void *buf,
			      uint32_t len, pnvme_cmd_cb cb_fn, void *cb_arg);

/** Command ID a timeout callback gets for a command the device does not hold
 * (held back by error injection). */
#define PNVME_CID_NOT_SUBMITTED 0xffffu

/**
 * Called once for each command outstanding longer than its queue's timeout,
 * from the poll of that queue (pnvme_qpair_process_completions(), or
 * pnvme_ctrlr_process_admin_completions() for the admin queue).
 *
 * @param cb_arg the argument given at registration.
 * @param ctrlr the controller.
 * @param qpair the I/O queue pair, or NULL for the admin queue.
 * @param cid the command's ID on that queue (PNVME_CID_NOT_SUBMITTED for a
 *        command error injection holds back).
 */
typedef void (*pnvme_timeout_cb)(void *cb_arg, struct pnvme_ctrlr *ctrlr,
				 struct pnvme_qpair *qpair, uint16_t cid);

/**
 * Watch for commands that take too long. Each command records when it was
 * submitted; each poll of a queue looks at its oldest commands and stops at
 * the first that is not late, so the cost is a compare per poll. Keep Alive
 * and Asynchronous Event Requests are exempt (they are meant to wait). A
 * timeout of 0 turns that kind off; with both 0 nothing is recorded at all.
 * Register before I/O starts: queue pairs in use pick the new timeout up
 * for commands submitted afterwards.
 *
 * @p cb_fn may be NULL: each late command is then logged (one line) and
 * handled by the timeout action alone.
 *
 * @return 0, or -EINVAL for a NULL controller.
 */
int pnvme_ctrlr_register_timeout_callback(struct pnvme_ctrlr *ctrlr, uint64_t io_timeout_us,
					  uint64_t admin_timeout_us, pnvme_timeout_cb cb_fn,
					  void *cb_arg);

/** What the library does about a command that timed out, after the
 * timeout callback ran (pnvme_ctrlr_set_timeout_action()). */
enum pnvme_timeout_action {
	/** Nothing: the callback decides. */
	PNVME_TIMEOUT_ACTION_NONE = 0,
	/** Send an Abort for it; when the Abort fails, times out or says the
	 * command was not aborted (dword 0 bit 0), reset the controller. A
	 * command the device does not hold, or an admin command, is reset for
	 * at once. */
	PNVME_TIMEOUT_ACTION_ABORT = 1,
	/** Reset the controller (pnvme_ctrlr_reset()). */
	PNVME_TIMEOUT_ACTION_RESET = 2,
};

/**
 * Choose what happens to commands that time out (see
 * pnvme_ctrlr_register_timeout_callback()). A reset asked for here starts
 * in the next pnvme_ctrlr_process_admin_completions(), which then drives
 * it: never inside a completion or the I/O thread's poll.
 *
 * @return 0, or -EINVAL for a NULL controller or an unknown action.
 */
int pnvme_ctrlr_set_timeout_action(struct pnvme_ctrlr *ctrlr, enum pnvme_timeout_action action);

/**
 * Ask the controller to abort command @p cid of @p qpair (NULL: the admin
 * queue), typically from a timeout callback. At most ACL+1 Aborts are with
 * the controller at once (Identify Controller ACL); more wait, in order,
 * for one of those to complete. The Abort's completion comes to @p cb_fn:
 * dword 0 bit 0 clear means the command was aborted (it then completes
 * with ABORTED - BY REQUEST), set means it was not (it completes as it
 * will). The aborted command itself still completes exactly once.
 *
 * @return 0; -EINVAL for a NULL controller, a qpair of another controller
 * or a command the device does not hold (PNVME_CID_NOT_SUBMITTED); -ENOMEM;
 * -ENXIO when the controller has failed.
 */
int pnvme_ctrlr_cmd_abort(struct pnvme_ctrlr *ctrlr, struct pnvme_qpair *qpair, uint16_t cid,
			  pnvme_cmd_cb cb_fn, void *cb_arg);

/**
 * Poll the admin queue: complete finished admin commands and watch the
 * controller's health.
 *
 * @return completions processed, or -ENXIO when the controller has failed.
 */
int32_t pnvme_ctrlr_process_admin_completions(struct pnvme_ctrlr *ctrlr);

/* ------------------------------------------------------------------ */
/* I/O queue pairs                                                     */
/* ------------------------------------------------------------------ */

/** Submission queue priority (used with weighted round robin arbitration). */
enum pnvme_qprio {
	PNVME_QPRIO_URGENT = 0,
	PNVME_QPRIO_HIGH = 1,
	PNVME_QPRIO_MEDIUM = 2,
	PNVME_QPRIO_LOW = 3,
};

/** Options for pnvme_ctrlr_alloc_io_qpair(). */
struct pnvme_io_qpair_opts {
	/** Size of this structure as the caller knows it. */
	size_t opts_size;
	/** Queue entries (2 to CAP.MQES+1). Default 256, capped at CAP.MQES+1. */
	uint32_t io_queue_size;
	/** Requests in the pool: outstanding plus queued ones. Default 2 x size. */
	uint32_t io_queue_requests;
	/** Submission queue priority. Default PNVME_QPRIO_URGENT. */
	enum pnvme_qprio qprio;
	/**
	 * Ring the submission doorbell once per pnvme_qpair_process_completions()
	 * instead of once per command. Default false.
	 */
	bool delay_cmd_submit;
};

/** Fill @p opts with the defaults for @p ctrlr. */
void pnvme_ctrlr_get_default_io_qpair_opts(struct pnvme_ctrlr *ctrlr,
					   struct pnvme_io_qpair_opts *opts, size_t opts_size);

/**
 * Create an I/O queue pair. One thread uses a qpair at a time; different
 * qpairs need no locking between them.
 *
 * @param ctrlr the controller.
 * @param opts options, or NULL for defaults.
 * @param opts_size sizeof(*opts) as the caller knows it.
 * @return the qpair, or NULL (the log says why: e.g. every queue the
 *         controller granted is in use).
 */
struct pnvme_qpair *pnvme_ctrlr_alloc_io_qpair(struct pnvme_ctrlr *ctrlr,
					       const struct pnvme_io_qpair_opts *opts,
					       size_t opts_size);

/**
 * Delete the queue pair. Requests still outstanding complete first, each
 * once, with ABORTED - SQ DELETION.
 *
 * @return 0, or -EINVAL for a NULL or admin qpair.
 */
int pnvme_ctrlr_free_io_qpair(struct pnvme_qpair *qpair);

/**
 * Process completions on an I/O qpair (and submit queued requests).
 *
 * @param qpair the qpair, polled by the thread that owns it.
 * @param max most completions to process, 0 for no limit.
 * @return completions processed, or -ENXIO once the qpair or its controller
 *         has failed (every outstanding request has then completed with an
 *         error status).
 */
int32_t pnvme_qpair_process_completions(struct pnvme_qpair *qpair, uint32_t max);

/**
 * @name Poll groups
 * One thread drives many I/O qpairs, of any transport, with one call. A
 * transport that can tell which of its qpairs have something to receive
 * asks once per group poll (NVMe/TCP: one epoll set for all the group's
 * connections), so idle qpairs cost no system call. PCIe qpairs are simply
 * polled in turn.
 *
 * A group belongs to the thread that polls it; its qpairs are polled only
 * through it (or by that thread). A qpair is in one group at most.
 * @{
 */

/** A set of I/O qpairs polled together. */
struct pnvme_poll_group;

/**
 * Called by pnvme_poll_group_process_completions() for each qpair of the
 * group that is disconnected (failed, or waiting for
 * pnvme_ctrlr_reconnect_io_qpair() after a reset), on every poll until it
 * is connected again or removed. Every request it held has completed by
 * then. The callback may remove the qpair from the group and free it.
 */
typedef void (*pnvme_poll_group_disconnected_cb)(struct pnvme_qpair *qpair, void *group_ctx);

/**
 * Create an empty poll group.
 *
 * @param ctx handed to the disconnected-qpair callback.
 * @return the group, or NULL (out of memory, logged).
 */
struct pnvme_poll_group *pnvme_poll_group_create(void *ctx);

/**
 * Add an I/O qpair to the group. It may be connected or not; a qpair that
 * connects again later (after a reset) stays in the group.
 *
 * @return 0; -EINVAL for NULL, the admin qpair, or a qpair already in a
 *         group; -ENOMEM; or -errno from the transport (logged).
 */
int pnvme_poll_group_add(struct pnvme_poll_group *group, struct pnvme_qpair *qpair);

/**
 * Take a qpair out of its group. Its outstanding requests stay; poll it
 * with pnvme_qpair_process_completions() from then on.
 *
 * @return 0, or -EINVAL for NULL or a qpair not in @p group.
 */
int pnvme_poll_group_remove(struct pnvme_poll_group *group, struct pnvme_qpair *qpair);

/**
 * Process completions on every qpair of the group.
 *
 * @param group the group, polled by the thread that owns it.
 * @param completions_per_qpair most completions per qpair, 0 for no limit.
 * @param disconnected_cb called for each disconnected qpair (required).
 * @return completions processed in all, or -EINVAL for bad arguments, or
 *         -errno when the transport could not tell which qpairs are ready
 *         (logged; every qpair was then polled).
 */
int64_t pnvme_poll_group_process_completions(struct pnvme_poll_group *group,
					     uint32_t completions_per_qpair,
					     pnvme_poll_group_disconnected_cb disconnected_cb);

/** @return the ctx given to pnvme_poll_group_create(), or NULL for NULL. */
void *pnvme_poll_group_get_ctx(const struct pnvme_poll_group *group);

/** Poll group counters. */
struct pnvme_poll_group_stats {
	/** pnvme_poll_group_process_completions() calls. */
	uint64_t polls;
	/** System calls made to learn which qpairs are ready (NVMe/TCP). */
	uint64_t readiness_calls;
	/** Qpair polls skipped because their transport said nothing was there. */
	uint64_t idle_qpair_skips;
};

/**
 * Read the group's counters.
 *
 * @param group the group.
 * @param stats receives the counters.
 * @param stats_size sizeof(*stats) as the caller knows it.
 * @return 0, or -EINVAL for a NULL argument.
 */
int pnvme_poll_group_get_stats(const struct pnvme_poll_group *group,
			       struct pnvme_poll_group_stats *stats, size_t stats_size);

/**
 * Destroy an empty group.
 *
 * @return 0; -EBUSY while qpairs are in it; -EINVAL for NULL.
 */
int pnvme_poll_group_destroy(struct pnvme_poll_group *group);

/** @} */

/**
 * Called for each Discovery Log Page entry.
 *
 * @param cb_ctx the context given to pnvme_discover().
 * @param entry the entry as the discovery service sent it.
 * @param trid the transport ID it names, or NULL when pnvme cannot use it
 *        (another transport type, an unusable address).
 */
typedef void (*pnvme_discovery_cb)(void *cb_ctx, const struct pnvme_discovery_log_entry *entry,
				   const struct pnvme_transport_id *trid);

/**
 * Read the Discovery Log Page of the discovery service at @p trid (a fabrics
 * transport ID whose subnqn is the discovery NQN, or empty) and call @p cb
 * for each entry. The log is read whole and consistent (re-read while its
 * generation counter changes). pnvme_probe() with such a trid attaches the
 * NVM subsystems it lists instead.
 *
 * @param trid the discovery service.
 * @param opts options for the connection (digests, host NQN), or NULL.
 * @param opts_size sizeof(*opts) as the caller knows it.
 * @param cb_ctx passed to @p cb.
 * @param cb called for each entry.
 * @param genctr if not NULL, receives the log's generation counter.
 * @return 0, -EINVAL for bad arguments, or a negative errno from the
 *         connection or the log (logged).
 */
int pnvme_discover(const struct pnvme_transport_id *trid, const struct pnvme_ctrlr_opts *opts,
		   size_t opts_size, void *cb_ctx, pnvme_discovery_cb cb, uint64_t *genctr);

/** Transport counters of one queue pair, for benchmarks and diagnosis. */
struct pnvme_qpair_stats {
	/** Submission doorbell writes that reached the device (MMIO on PCIe). */
	uint64_t sq_doorbell_writes;
	uint64_t cq_doorbell_writes; /**< completion doorbell writes that reached the device */
	/** true when shadow doorbells (Doorbell Buffer Config) are in use. */
	bool shadow_doorbells;
	/** PDUs sent (NVMe/TCP). */
	uint64_t pdus_sent;
	uint64_t pdus_received; /**< PDUs received (NVMe/TCP) */
	/** Receive system calls made (NVMe/TCP), zero-copy release notes
	 * included. */
	uint64_t recv_calls;
	/** Of the receive calls, those that found nothing: the cost of
	 * polling a connection with no data waiting (NVMe/TCP). */
	uint64_t recv_empty_calls;
	/** Send system calls made (NVMe/TCP). */
	uint64_t send_calls;
	/** Of them, sends whose data the kernel took from the buffer itself
	 * rather than copying it (NVMe/TCP, large writes). */
	uint64_t zero_copy_sends;
	/** Calls that handed SENDs (commands) to the device, each a batch
	 * (NVMe/RDMA; no system call); post_recv_calls counts the RECVs
	 * (response buffers). */
	uint64_t post_send_calls;
	uint64_t post_recv_calls; /**< calls that handed RECVs (response buffers) to the device (NVMe/RDMA) */
	/** Completion queue polls made for this qpair (NVMe/RDMA; no system
	 * call); cq_empty_polls counts those that found nothing. In a poll
	 * group the group's polls of a shared queue count in its readiness
	 * calls. */
	uint64_t cq_polls;
	uint64_t cq_empty_polls; /**< completion queue polls that found nothing (NVMe/RDMA) */
};

/**
 * Read the queue pair's transport counters. Transports without doorbells
 * report zeros.
 *
 * @param qpair the qpair.
 * @param stats receives the counters.
 * @param stats_size sizeof(*stats) as the caller knows it.
 * @return 0, or -EINVAL for a NULL argument.
 */
int pnvme_qpair_get_stats(struct pnvme_qpair *qpair, struct pnvme_qpair_stats *stats,
			  size_t stats_size);

/**
 * Make commands fail on purpose, to test an application's error handling.
 *
 * The next @p err_count commands with opcode @p opc submitted on @p qpair
 * (NULL: the controller's admin queue) are affected; then the injection
 * ends by itself. With @p do_not_submit the command never reaches the
 * device and completes with status (@p sct, @p sc) once @p timeout_us have
 * passed, seen by the qpair's next poll after that (a stall, for timeout
 * tests); otherwise it goes to the device as usual and its completion
 * carries (@p sct, @p sc) instead of the device's status. Adding an
 * injection for an opcode that has one replaces it. Costs nothing on the
 * I/O path while no injection is set. Not thread-safe against the qpair's
 * own thread: call it from the thread that polls @p qpair.
 *
 * @return 0; -EINVAL for a NULL controller, a qpair of another controller
 * or @p err_count 0; -ENOMEM.
 */
int pnvme_qpair_add_cmd_error_injection(struct pnvme_ctrlr *ctrlr, struct pnvme_qpair *qpair,
					uint8_t opc, bool do_not_submit, uint64_t timeout_us,
					uint32_t err_count, uint8_t sct, uint8_t sc);

/**
 * End the injection for @p opc on @p qpair (NULL: the admin queue), if any.
 * Commands already held (do_not_submit) still complete as injected.
 */
void pnvme_qpair_remove_cmd_error_injection(struct pnvme_ctrlr *ctrlr, struct pnvme_qpair *qpair,
					    uint8_t opc);

/**
 * Submit a raw I/O command on @p qpair. The library sets the command ID and
 * data pointer; @p buf must be DMA-able (or NULL with @p len 0).
 */
int pnvme_ctrlr_cmd_io_raw(struct pnvme_ctrlr *ctrlr, struct pnvme_qpair *qpair,
			   const struct pnvme_cmd *cmd, void *buf, uint32_t len,
			   pnvme_cmd_cb cb_fn, void *cb_arg);

/* ------------------------------------------------------------------ */
/* Namespace                                                           */
/* ------------------------------------------------------------------ */

/** @return the namespace ID. */
uint32_t pnvme_ns_get_id(const struct pnvme_ns *ns);

/** @return the Identify Namespace data read at bring-up. */
const struct pnvme_ns_data *pnvme_ns_get_data(const struct pnvme_ns *ns);

/** @return the data size of one logical block, in bytes. */
uint32_t pnvme_ns_get_sector_size(const struct pnvme_ns *ns);

/** @return bytes per block including interleaved metadata. */
uint32_t pnvme_ns_get_extended_sector_size(const struct pnvme_ns *ns);

/** @return metadata bytes per block. */
uint32_t pnvme_ns_get_md_size(const struct pnvme_ns *ns);

/** @return the namespace size in blocks (NSZE). */
uint64_t pnvme_ns_get_num_sectors(const struct pnvme_ns *ns);

/** @return the namespace size in bytes. */
uint64_t pnvme_ns_get_size(const struct pnvme_ns *ns);

/** @return the optimal I/O boundary in blocks (NOIOB), 0 when none. */
uint32_t pnvme_ns_get_optimal_io_boundary(const struct pnvme_ns *ns);

/** @return the namespace UUID (16 bytes) or NULL when it has none. */
const uint8_t *pnvme_ns_get_uuid(const struct pnvme_ns *ns);

/** @return the NGUID (16 bytes) or NULL when it has none. */
const uint8_t *pnvme_ns_get_nguid(const struct pnvme_ns *ns);

/** @return the EUI-64 (8 bytes) or NULL when it has none. */
const uint8_t *pnvme_ns_get_eui64(const struct pnvme_ns *ns);

/** @return the command set identifier (enum pnvme_csi). */
uint8_t pnvme_ns_get_csi(const struct pnvme_ns *ns);

/** @return the controller that owns @p ns. */
struct pnvme_ctrlr *pnvme_ns_get_ctrlr(const struct pnvme_ns *ns);

/** End-to-end protection information types (DPS bits 2:0). */
enum pnvme_pi_type {
	PNVME_PI_NONE = 0,
	PNVME_PI_TYPE1 = 1, /**< reference tag = LBA, checked */
	PNVME_PI_TYPE2 = 2, /**< reference tag from the command, checked */
	PNVME_PI_TYPE3 = 3, /**< reference tag not checked */
};

/** @return the protection information type the namespace is formatted with. */
enum pnvme_pi_type pnvme_ns_get_pi_type(const struct pnvme_ns *ns);

/** @return true when metadata is interleaved with the data of each block
 * (extended LBAs), false when it lives in a separate buffer (or there is
 * none). */
bool pnvme_ns_supports_extended_lba(const struct pnvme_ns *ns);

/** @return true when the 8 bytes of protection information are the first
 * bytes of the metadata, false when they are the last. */
bool pnvme_ns_pi_is_first(const struct pnvme_ns *ns);

/**
 * @return false once a reset found the namespace gone: its commands fail
 * with -ENXIO. The object stays valid until the controller is detached.
 */
bool pnvme_ns_is_active(const struct pnvme_ns *ns);

/* ------------------------------------------------------------------ */
/* Namespace commands                                                  */
/* ------------------------------------------------------------------ */

/** Force Unit Access: data reaches non-volatile media before completion. */
#define PNVME_IO_FLAGS_FUA (1u << 30)
/** Limited Retry: the controller applies limited retry efforts. */
#define PNVME_IO_FLAGS_LIMITED_RETRY (1u << 31)
/** First command of a fused pair (a compare). */
#define PNVME_IO_FLAGS_FUSE_FIRST (1u << 0)
/** Second command of a fused pair (a write), submitted right after the first. */
#define PNVME_IO_FLAGS_FUSE_SECOND (1u << 1)
/** Protection Information Action: the controller inserts the protection
 * information on writes and strips it on reads. With 8 bytes of metadata
 * (only the protection information) no metadata is transferred at all. */
#define PNVME_IO_FLAGS_PRACT (1u << 29)
/** Protection information checks by the controller: guard (CRC). */
#define PNVME_IO_FLAGS_PRCHK_GUARD (1u << 28)
/** ... application tag (against the expected tag and mask). */
#define PNVME_IO_FLAGS_PRCHK_APPTAG (1u << 27)
/** ... reference tag (against the LBA; types 1 and 2 only: -EINVAL on type 3). */
#define PNVME_IO_FLAGS_PRCHK_REFTAG (1u << 26)

struct iovec;

/** Most vector elements one vectored call may carry. */
#define PNVME_MAX_IOVCNT 250

/*
 * Data commands take a DMA-able buffer from pnvme_dma_zmalloc(), a starting
 * LBA and a count of blocks (1 to 65536 per call; larger transfers are split
 * into several commands at the controller's MDTS and the namespace's optimal
 * I/O boundary, with one completion to the caller). The buffer is what the
 * device reads or writes: nothing is copied.
 *
 * Every call returns 0 once the command is submitted or queued; -EINVAL for
 * bad arguments (out-of-range LBAs, zero length, a buffer that is not DMA-able
 * or not dword-aligned, too many vector elements), logged with the reason;
 * -ENOMEM when the qpair's request pool is empty (nothing was submitted);
 * -ENXIO when the qpair or controller has failed; -ENOTSUP when the
 * controller lacks the command.
 */

/** Read @p lba_count blocks at @p lba into @p buf. */
int pnvme_ns_cmd_read(struct pnvme_ns *ns, struct pnvme_qpair *qpair, void *buf, uint64_t lba,
		      uint32_t lba_count, pnvme_cmd_cb cb_fn, void *cb_arg, uint32_t io_flags);

/** Write @p lba_count blocks at @p lba from @p buf. */
int pnvme_ns_cmd_write(struct pnvme_ns *ns, struct pnvme_qpair *qpair, void *buf, uint64_t lba,
		       uint32_t lba_count, pnvme_cmd_cb cb_fn, void *cb_arg, uint32_t io_flags);

/**
 * Read @p lba_count blocks at @p lba with their metadata. On a namespace
 * with extended LBAs @p buf holds data and metadata interleaved (block
 * after block, pnvme_ns_get_extended_sector_size() bytes each) and
 * @p md_buf is NULL; otherwise @p buf holds the data and @p md_buf (DMA
 * memory, physically contiguous: one pnvme_dma_zmalloc() allocation) the
 * metadata, pnvme_ns_get_md_size() bytes per block. With
 * PNVME_IO_FLAGS_PRACT on a namespace whose metadata is only the 8 bytes
 * of protection information, the controller strips it: @p buf holds data
 * only and @p md_buf is NULL.
 *
 * @param ns the namespace.
 * @param qpair the I/O qpair to submit on.
 * @param buf the data (and interleaved metadata), DMA-able.
 * @param md_buf the separate metadata, or NULL.
 * @param lba first block.
 * @param lba_count blocks to read.
 * @param cb_fn runs once with the completion.
 * @param cb_arg passed to @p cb_fn.
 * @param io_flags PNVME_IO_FLAGS_PRACT and PNVME_IO_FLAGS_PRCHK_* (and the
 *        others above). The expected initial reference tag is the LBA's
 *        low 32 bits (types 1 and 2).
 * @param apptag_mask bits of @p apptag the controller compares.
 * @param apptag the expected application tag.
 * @return as pnvme_ns_cmd_read(); -ENOTSUP for a separate metadata buffer
 *         on a fabrics transport (NVMe over Fabrics carries metadata only
 *         interleaved).
 */
int pnvme_ns_cmd_read_with_md(struct pnvme_ns *ns, struct pnvme_qpair *qpair, void *buf,
			      void *md_buf, uint64_t lba, uint32_t lba_count, pnvme_cmd_cb cb_fn,
			      void *cb_arg, uint32_t io_flags, uint16_t apptag_mask,
			      uint16_t apptag);

/**
 * Write @p lba_count blocks at @p lba with their metadata, laid out as for
 * pnvme_ns_cmd_read_with_md(). Without PNVME_IO_FLAGS_PRACT the protection
 * information in the metadata is the caller's (pnvme_ns_dif_generate()
 * computes it) and the controller checks what PRCHK asks for; with it the
 * controller generates it.
 */
int pnvme_ns_cmd_write_with_md(struct pnvme_ns *ns, struct pnvme_qpair *qpair, void *buf,
			       void *md_buf, uint64_t lba, uint32_t lba_count, pnvme_cmd_cb cb_fn,
			       void *cb_arg, uint32_t io_flags, uint16_t apptag_mask,
			       uint16_t apptag);

/**
 * Fill in the protection information of @p lba_count blocks starting at
 * @p lba, laid out as for pnvme_ns_cmd_write_with_md() (@p md_buf NULL on
 * a namespace with extended LBAs): the guard (CRC-16 T10-DIF over the
 * block's data and any metadata before the protection information), the
 * application tag @p apptag, and the reference tag (the LBA's low 32 bits,
 * counting up, for types 1 and 2; the LBA's for type 3 too, unchecked).
 *
 * @return 0; -EINVAL (logged) when the namespace has no protection
 *         information or a buffer is missing.
 */
int pnvme_ns_dif_generate(const struct pnvme_ns *ns, void *buf, void *md_buf, uint64_t lba,
			  uint32_t lba_count, uint16_t apptag);

/**
 * Check the protection information of @p lba_count blocks as the
 * controller would for @p prchk_flags (PNVME_IO_FLAGS_PRCHK_*). Blocks
 * whose application tag is FFFFh (and, for type 3, reference tag
 * FFFFFFFFh) are not checked, as the specification says.
 *
 * @param ns the namespace.
 * @param buf the data (and interleaved metadata).
 * @param md_buf the separate metadata, or NULL with extended LBAs.
 * @param lba first block.
 * @param lba_count blocks to check.
 * @param prchk_flags the fields to check (PNVME_IO_FLAGS_PRCHK_*).
 * @param apptag_mask bits of @p apptag to compare.
 * @param apptag the expected application tag.
 * @param err_lba receives the first block that failed (may be NULL).
 * @return 0; -EILSEQ with one line naming the block and the field (guard,
 *         application tag, reference tag) that does not match; -EINVAL.
 */
int pnvme_ns_dif_verify(const struct pnvme_ns *ns, const void *buf, const void *md_buf,
			uint64_t lba, uint32_t lba_count, uint32_t prchk_flags,
			uint16_t apptag_mask, uint16_t apptag, uint64_t *err_lba);

/**
 * Vectored read: @p iov (up to PNVME_MAX_IOVCNT elements, DMA-able) covers exactly
 * @p lba_count blocks. Without SGL support, elements after the first must
 * start on a page and every element but the last must end on one (PRP rules).
 */
int pnvme_ns_cmd_readv(struct pnvme_ns *ns, struct pnvme_qpair *qpair, const struct iovec *iov,
		       int iovcnt, uint64_t lba, uint32_t lba_count, pnvme_cmd_cb cb_fn,
		       void *cb_arg, uint32_t io_flags);

/** Vectored write; see pnvme_ns_cmd_readv(). */
int pnvme_ns_cmd_writev(struct pnvme_ns *ns, struct pnvme_qpair *qpair, const struct iovec *iov,
			int iovcnt, uint64_t lba, uint32_t lba_count, pnvme_cmd_cb cb_fn,
			void *cb_arg, uint32_t io_flags);

/**
 * Compare @p buf with the blocks at @p lba (ONCS compare). A mismatch
 * completes with SCT 2h / SC 85h (COMPARE FAILURE). With
 * PNVME_IO_FLAGS_FUSE_FIRST it opens a fused compare-and-write.
 */
int pnvme_ns_cmd_compare(struct pnvme_ns *ns, struct pnvme_qpair *qpair, void *buf,
			 uint64_t lba, uint32_t lba_count, pnvme_cmd_cb cb_fn, void *cb_arg,
			 uint32_t io_flags);

/**
 * Compare @p buf and its metadata with the blocks at @p lba, laid out as
 * for pnvme_ns_cmd_write_with_md(): the comparison covers the metadata,
 * protection information included (pnvme_ns_dif_generate() computes it).
 * PNVME_IO_FLAGS_PRCHK_* have the controller check the protection
 * information of the blocks it reads (an error status names the field).
 * With PNVME_IO_FLAGS_FUSE_FIRST it opens a fused compare-and-write whose
 * second command is a pnvme_ns_cmd_write_with_md().
 *
 * @param ns the namespace.
 * @param qpair the I/O qpair to submit on.
 * @param buf the data (and interleaved metadata), DMA-able.
 * @param md_buf the separate metadata, or NULL.
 * @param lba first block.
 * @param lba_count blocks to compare.
 * @param cb_fn runs once with the completion: COMPARE FAILURE (SCT 2h /
 *        SC 85h) on a mismatch.
 * @param cb_arg passed to @p cb_fn.
 * @param io_flags PNVME_IO_FLAGS_PRCHK_*, PNVME_IO_FLAGS_FUSE_FIRST,
 *        PNVME_IO_FLAGS_LIMITED_RETRY, PNVME_IO_FLAGS_FUA.
 * @param apptag_mask bits of @p apptag the controller compares.
 * @param apptag the expected application tag.
 * @return as pnvme_ns_cmd_read_with_md().
 */
int pnvme_ns_cmd_compare_with_md(struct pnvme_ns *ns, struct pnvme_qpair *qpair, void *buf,
				 void *md_buf, uint64_t lba, uint32_t lba_count, pnvme_cmd_cb cb_fn,
				 void *cb_arg, uint32_t io_flags, uint16_t apptag_mask,
				 uint16_t apptag);

/** Write zeroes to @p lba_count blocks at @p lba (ONCS write zeroes). */
int pnvme_ns_cmd_write_zeroes(struct pnvme_ns *ns, struct pnvme_qpair *qpair, uint64_t lba,
			      uint32_t lba_count, pnvme_cmd_cb cb_fn, void *cb_arg,
			      uint32_t io_flags);

/**
 * Verify @p lba_count blocks at @p lba (ONCS verify): the controller reads
 * them and checks what PNVME_IO_FLAGS_PRCHK_* asks of their protection
 * information, with no data transferred.
 */
int pnvme_ns_cmd_verify(struct pnvme_ns *ns, struct pnvme_qpair *qpair, uint64_t lba,
			uint32_t lba_count, pnvme_cmd_cb cb_fn, void *cb_arg, uint32_t io_flags);

/** Dataset Management attribute: deallocate the ranges. */
#define PNVME_DSM_ATTR_DEALLOCATE (1u << 2)

/**
 * Dataset Management (ONCS DSM) over @p num_ranges (1-256) ranges held in
 * DMA-able memory.
 */
int pnvme_ns_cmd_dsm(struct pnvme_ns *ns, struct pnvme_qpair *qpair,
		     const struct pnvme_dsm_range *ranges, uint16_t num_ranges, uint32_t attributes,
		     pnvme_cmd_cb cb_fn, void *cb_arg);

/**
 * Copy (ONCS copy) the @p num_ranges source ranges (DMA-able, format 0) to
 * @p dest_lba.
 */
int pnvme_ns_cmd_copy(struct pnvme_ns *ns, struct pnvme_qpair *qpair,
		      const struct pnvme_copy_range *ranges, uint16_t num_ranges, uint64_t dest_lba,
		      pnvme_cmd_cb cb_fn, void *cb_arg);

/** Flush the volatile write cache. */
int pnvme_ns_cmd_flush(struct pnvme_ns *ns, struct pnvme_qpair *qpair, pnvme_cmd_cb cb_fn,
		       void *cb_arg);

/* ------------------------------------------------------------------ */
/* Status and logging                                                  */
/* ------------------------------------------------------------------ */

/** @return true when @p cpl carries an error status. */
static inline bool
pnvme_cpl_is_error(const struct pnvme_cpl *cpl)
{
	return cpl->status.sc != PNVME_SC_SUCCESS || cpl->status.sct != PNVME_SCT_GENERIC;
}

/** @return the status name, e.g. "INVALID FIELD" (print SCT/SC beside it). */
const char *pnvme_status_string(const struct pnvme_status *status);

/** Log levels. */
enum pnvme_log_level {
	PNVME_LOG_ERROR = 0,
	PNVME_LOG_WARN = 1,
	PNVME_LOG_NOTICE = 2,
	PNVME_LOG_INFO = 3,
	PNVME_LOG_DEBUG = 4,
};

/** Print messages at @p level and more severe (default: NOTICE). */
void pnvme_log_set_level(enum pnvme_log_level level);

/** @return the current log level. */
enum pnvme_log_level pnvme_log_get_level(void);

/**
 * Where log lines go; NULL restores the default (standard error).
 * @p line has no trailing newline.
 */
typedef void (*pnvme_log_fn)(enum pnvme_log_level level, const char *line);
/** Send log lines to @p fn instead of standard error (NULL: back to it). */
void pnvme_log_set_handler(pnvme_log_fn fn);

#ifdef __cplusplus
}
#endif

#endif /* PNVME_NVME_H */
