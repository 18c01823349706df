/*
 * Named acquire/release helpers over C11 atomics, so that every ordering
 * decision in the shared-memory code is visible at the call site (as DPDK's
 * ring labels each pair).  Never use bare volatile for shared state.
 */
#ifndef HRX_ATOMIC_H
#define HRX_ATOMIC_H

#include <stdatomic.h>
#include <stdint.h>

#define HRX_CACHE_LINE  64

/* two cache lines: keeps adjacent-line prefetch from causing false sharing */
#define HRX_ALIGN_HOT   _Alignas(2 * HRX_CACHE_LINE)

#define hrx_load_acquire(p)      atomic_load_explicit((p), memory_order_acquire)
#define hrx_load_relaxed(p)      atomic_load_explicit((p), memory_order_relaxed)
#define hrx_store_release(p, v)  atomic_store_explicit((p), (v),               \
                                                       memory_order_release)
#define hrx_store_relaxed(p, v)  atomic_store_explicit((p), (v),               \
                                                       memory_order_relaxed)
#define hrx_fetch_add_relaxed(p, v)                                            \
    atomic_fetch_add_explicit((p), (v), memory_order_relaxed)
#define hrx_cas_acq_rel(p, expected, desired)                                  \
    atomic_compare_exchange_strong_explicit((p), (expected), (desired),        \
        memory_order_acq_rel, memory_order_acquire)
/* acq_rel: what the other side wrote before setting it is seen */
#define hrx_exchange(p, v)                                                    \
    atomic_exchange_explicit((p), (v), memory_order_acq_rel)
#define hrx_fence_acquire()      atomic_thread_fence(memory_order_acquire)
#define hrx_fence_release()      atomic_thread_fence(memory_order_release)

#endif /* HRX_ATOMIC_H */
