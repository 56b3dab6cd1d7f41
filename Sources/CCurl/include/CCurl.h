// libcurl for Swift: curl_easy_setopt/curl_multi_setopt/getinfo are variadic, so typed wrappers live here, and the
// macros Swift cannot import (casts, aliases of other macros) are re-exported as constants.
#ifndef CCURL_H
#define CCURL_H
#include <curl/curl.h>
CURLcode ccurl_easy_setopt_long(CURL *h, CURLoption o, long v);
CURLcode ccurl_easy_setopt_ptr(CURL *h, CURLoption o, const void *v);
CURLcode ccurl_easy_setopt_off(CURL *h, CURLoption o, curl_off_t v);
CURLcode ccurl_easy_getinfo_long(CURL *h, CURLINFO i, long *v);
CURLMcode ccurl_multi_setopt_long(CURLM *m, CURLMoption o, long v);
CURLMcode ccurl_multi_setopt_ptr(CURLM *m, CURLMoption o, const void *v);

// Function pointers cannot go through `const void *` portably, so each callback shape has its own setter.
typedef size_t (*ccurl_data_callback)(char *data, size_t size, size_t count, void *userdata);
typedef int (*ccurl_socket_callback)(CURL *easy, curl_socket_t fd, int what, void *clientp, void *socketp);
typedef int (*ccurl_timer_callback)(CURLM *multi, long timeout_ms, void *clientp);
CURLcode ccurl_easy_setopt_data_callback(CURL *h, CURLoption o, ccurl_data_callback f);
CURLMcode ccurl_multi_setopt_socket_callback(CURLM *m, ccurl_socket_callback f);
CURLMcode ccurl_multi_setopt_timer_callback(CURLM *m, ccurl_timer_callback f);
CURLcode ccurl_easy_getinfo_ptr(CURL *h, CURLINFO i, void **v);

/// The result of a finished transfer, or -1 when `msg` is not a CURLMSG_DONE message.
int ccurl_message_done_result(const CURLMsg *msg);

static const long CCURL_AUTH_BASIC = (long)CURLAUTH_BASIC;
static const long CCURL_GLOBAL_DEFAULT = CURL_GLOBAL_DEFAULT;
static const curl_socket_t CCURL_SOCKET_TIMEOUT = CURL_SOCKET_TIMEOUT;
static const int CCURL_CSELECT_IN = CURL_CSELECT_IN;
static const int CCURL_CSELECT_OUT = CURL_CSELECT_OUT;
static const int CCURL_CSELECT_ERR = CURL_CSELECT_ERR;
static const int CCURL_POLL_IN = CURL_POLL_IN;
static const int CCURL_POLL_OUT = CURL_POLL_OUT;
static const int CCURL_POLL_INOUT = CURL_POLL_INOUT;
static const int CCURL_POLL_REMOVE = CURL_POLL_REMOVE;
static const int CCURL_ERROR_SIZE = CURL_ERROR_SIZE;
#endif
