// libcurl for Swift: curl_easy_setopt/curl_multi_setopt/getinfo are variadic, so typed wrappers live here.
#ifndef CCURL_H
#define CCURL_H
#include <curl/curl.h>
CURLcode ccurl_easy_setopt_long(CURL *h, CURLoption o, long v);
CURLcode ccurl_easy_setopt_ptr(CURL *h, CURLoption o, const void *v);
CURLcode ccurl_easy_setopt_off(CURL *h, CURLoption o, curl_off_t v);
CURLcode ccurl_easy_getinfo_long(CURL *h, CURLINFO i, long *v);
CURLMcode ccurl_multi_setopt_long(CURLM *m, CURLMoption o, long v);
CURLMcode ccurl_multi_setopt_ptr(CURLM *m, CURLMoption o, const void *v);
#endif
