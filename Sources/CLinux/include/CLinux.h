// What Glibc does not export to Swift: epoll, eventfd, signalfd, accept4, CPU affinity, a monotonic clock in one call.
// Functions that need _GNU_SOURCE are implemented in shim.c: defining it here would change libc's struct definitions
// under Swift's own Glibc module and break the build.
#ifndef CLINUX_H
#define CLINUX_H
#include <stdint.h>
#include <stddef.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/uio.h>

int clinux_epoll_create(void);
int clinux_epoll_ctl(int epfd, int op, int fd, uint32_t events, uint64_t data);
int clinux_epoll_wait(int epfd, struct epoll_event *events, int max, int timeout_ms);
uint32_t clinux_epoll_event_events(const struct epoll_event *ev);
uint64_t clinux_epoll_event_data(const struct epoll_event *ev);
size_t clinux_epoll_event_size(void);

static const uint32_t CLINUX_EPOLLIN = EPOLLIN;
static const uint32_t CLINUX_EPOLLOUT = EPOLLOUT;
static const uint32_t CLINUX_EPOLLERR = EPOLLERR;
static const uint32_t CLINUX_EPOLLHUP = EPOLLHUP;
static const uint32_t CLINUX_EPOLLRDHUP = EPOLLRDHUP;
static const uint32_t CLINUX_EPOLLEXCLUSIVE = EPOLLEXCLUSIVE;
static const int CLINUX_EPOLL_CTL_ADD = EPOLL_CTL_ADD;
static const int CLINUX_EPOLL_CTL_MOD = EPOLL_CTL_MOD;
static const int CLINUX_EPOLL_CTL_DEL = EPOLL_CTL_DEL;

int clinux_eventfd(void);
int clinux_accept4(int fd, struct sockaddr *addr, socklen_t *len);
int clinux_socket_nonblocking(int domain, int type);

/// A signalfd for the given signals, which are blocked for the calling thread (and the threads it starts later).
int clinux_signalfd(const int *signals, int count);
/// The next pending signal's number, or -1 when none.
int clinux_signalfd_read(int fd);
int clinux_ignore_sigpipe(void);

/// write(2) and writev(2) as plain system calls: glibc's wrappers are cancellation points, whose bookkeeping costs as
/// much as the rest of a small flush, and no loop thread is ever cancelled. -1 with errno set on failure.
long clinux_write(int fd, const void *bytes, size_t count);
long clinux_writev(int fd, const struct iovec *iov, int count);

int clinux_pin_current_thread(int cpu);
int clinux_errno(void);
void clinux_malloc_trim(void);
/// Monotonic milliseconds: the loop's clock for timers, immune to wall-clock jumps.
uint64_t clinux_monotonic_ms(void);
uint64_t clinux_monotonic_ns(void);
#endif
