#define _GNU_SOURCE 1
#include "CLinux.h"
#include <sys/eventfd.h>
#include <sys/signalfd.h>
#include <signal.h>
#include <pthread.h>
#include <sched.h>
#include <errno.h>
#include <unistd.h>
#include <sys/syscall.h>
#include <malloc.h>
#include <time.h>

int clinux_epoll_create(void) { return epoll_create1(EPOLL_CLOEXEC); }
int clinux_epoll_ctl(int epfd, int op, int fd, uint32_t events, uint64_t data) {
    struct epoll_event ev; ev.events = events; ev.data.u64 = data;
    return epoll_ctl(epfd, op, fd, &ev);
}
int clinux_epoll_wait(int epfd, struct epoll_event *events, int max, int timeout_ms) {
    return epoll_wait(epfd, events, max, timeout_ms);
}
uint32_t clinux_epoll_event_events(const struct epoll_event *ev) { return ev->events; }
uint64_t clinux_epoll_event_data(const struct epoll_event *ev) { return ev->data.u64; }
size_t clinux_epoll_event_size(void) { return sizeof(struct epoll_event); }

int clinux_eventfd(void) { return eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC); }
int clinux_accept4(int fd, struct sockaddr *addr, socklen_t *len) { return accept4(fd, addr, len, SOCK_NONBLOCK | SOCK_CLOEXEC); }
int clinux_socket_nonblocking(int domain, int type) { return socket(domain, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0); }

int clinux_signalfd(const int *signals, int count) {
    sigset_t set; sigemptyset(&set);
    for (int i = 0; i < count; i++) sigaddset(&set, signals[i]);
    if (pthread_sigmask(SIG_BLOCK, &set, NULL) != 0) return -1;
    return signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
}
int clinux_signalfd_read(int fd) {
    struct signalfd_siginfo info;
    ssize_t n = read(fd, &info, sizeof info);
    return n == (ssize_t)sizeof info ? (int)info.ssi_signo : -1;
}
long clinux_write(int fd, const void *bytes, size_t count) { return syscall(SYS_write, fd, bytes, count); }
long clinux_writev(int fd, const struct iovec *iov, int count) { return syscall(SYS_writev, fd, iov, count); }
int clinux_ignore_sigpipe(void) { return signal(SIGPIPE, SIG_IGN) == SIG_ERR ? -1 : 0; }

int clinux_pin_current_thread(int cpu) {
    cpu_set_t set; CPU_ZERO(&set); CPU_SET(cpu, &set);
    return pthread_setaffinity_np(pthread_self(), sizeof set, &set);
}
int clinux_errno(void) { return errno; }
void clinux_malloc_trim(void) { malloc_trim(0); }
uint64_t clinux_monotonic_ms(void) {
    struct timespec ts; clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}
uint64_t clinux_monotonic_ns(void) {
    struct timespec ts; clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}
