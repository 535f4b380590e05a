// A test-and-test-and-set spinlock. The console is its first user: log lines
// from different CPUs (a later issue brings them up) must never interleave.
#pragma once

namespace bulkhead {

class Spinlock {
public:
    void lock() {
        while (__atomic_exchange_n(&locked_, true, __ATOMIC_ACQUIRE))
            while (__atomic_load_n(&locked_, __ATOMIC_RELAXED)) __builtin_ia32_pause();
    }
    void unlock() { __atomic_store_n(&locked_, false, __ATOMIC_RELEASE); }

private:
    bool locked_ = false;
};

class SpinlockGuard {
public:
    explicit SpinlockGuard(Spinlock& lock) : lock_(lock) { lock_.lock(); }
    ~SpinlockGuard() { lock_.unlock(); }
    SpinlockGuard(const SpinlockGuard&) = delete;
    SpinlockGuard& operator=(const SpinlockGuard&) = delete;

private:
    Spinlock& lock_;
};

}  // namespace bulkhead
