/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Small helpers shared by every part of the library (not public API).
 */
#ifndef PNVME_UTIL_H
#define PNVME_UTIL_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include "pnvme/nvme.h"

#define pnvme_likely(x) __builtin_expect(!!(x), 1)
#define pnvme_unlikely(x) __builtin_expect(!!(x), 0)
/* For small helpers of the I/O path that the compiler would otherwise keep
 * out of line once they have two callers. */
#define PNVME_ALWAYS_INLINE inline __attribute__((always_inline))
/* For the one shared copy of an always-inline path that its rarer callers
 * use, so that only the common calls get copies of their own. */
#define PNVME_NOINLINE __attribute__((noinline))

#define PNVME_MIN(a, b) ((a) < (b) ? (a) : (b))
#define PNVME_MAX(a, b) ((a) > (b) ? (a) : (b))
#define PNVME_ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define PNVME_ALIGN_UP(v, a) (((v) + (a) - 1) & ~((__typeof__(v))(a) - 1))

/* Ordering between host memory and device-visible writes (x86: stores are
 * ordered, so a compiler barrier is enough except before MMIO, where sfence
 * flushes write-combining buffers). */
#define pnvme_compiler_barrier() __asm__ volatile("" ::: "memory")
#if defined(__x86_64__)
#define pnvme_wmb() __asm__ volatile("sfence" ::: "memory")
#define pnvme_rmb() pnvme_compiler_barrier()
#define pnvme_mb() __asm__ volatile("mfence" ::: "memory")
#else
#define pnvme_wmb() __atomic_thread_fence(__ATOMIC_RELEASE)
#define pnvme_rmb() __atomic_thread_fence(__ATOMIC_ACQUIRE)
#define pnvme_mb() __atomic_thread_fence(__ATOMIC_SEQ_CST)
#endif

/* Logging: one line per event, prefixed with the severity. */
void pnvme_log(enum pnvme_log_level level, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void pnvme_vlog(enum pnvme_log_level level, const char *fmt, va_list ap);

#define PNVME_ERRLOG(...) pnvme_log(PNVME_LOG_ERROR, __VA_ARGS__)
#define PNVME_WARNLOG(...) pnvme_log(PNVME_LOG_WARN, __VA_ARGS__)
#define PNVME_NOTICELOG(...) pnvme_log(PNVME_LOG_NOTICE, __VA_ARGS__)
#define PNVME_INFOLOG(...) pnvme_log(PNVME_LOG_INFO, __VA_ARGS__)
#define PNVME_DEBUGLOG(...) pnvme_log(PNVME_LOG_DEBUG, __VA_ARGS__)

/* Copy a fixed-width, space-padded identify string into a C string with
 * trailing spaces removed. @p dst must hold @p len + 1 bytes. */
void pnvme_str_trim_copy(char *dst, const void *src, size_t len);

/* Copy at most size-1 bytes and terminate; returns -ENOSPC when truncated. */
int pnvme_strlcpy(char *dst, const char *src, size_t size);

/* Guard a mapped device BAR against SIGBUS after surprise removal
 * (bar_guard.c): the first call installs the handler, which remaps a
 * faulting guarded range with 0xFF-filled anonymous memory so the access
 * reads all ones, and chains other faults to the previous handler.
 * 0, -EINVAL, -ENOSPC (table full) or the sigaction error. */
int pnvme_bar_guard_add(void *addr, size_t len);
/* Stop guarding the range added at @p addr (before it is unmapped). */
void pnvme_bar_guard_remove(void *addr);

#endif /* PNVME_UTIL_H */
