#ifndef CAUTOAGENTCURL_H
#define CAUTOAGENTCURL_H

#include <curl/curl.h>
#include <stddef.h>

/// Non-variadic wrappers of libcurl's variadic option and info calls, which Swift cannot call.
typedef size_t (*aac_write_callback)(char *data, size_t size, size_t count, void *context);

CURLcode aac_easy_setopt_long(CURL *handle, CURLoption option, long value);
CURLcode aac_easy_setopt_string(CURL *handle, CURLoption option, const char *value);
CURLcode aac_easy_setopt_pointer(CURL *handle, CURLoption option, void *value);
CURLcode aac_easy_setopt_write_function(CURL *handle, CURLoption option, aac_write_callback callback);
CURLcode aac_easy_getinfo_long(CURL *handle, CURLINFO info, long *value);
CURLcode aac_easy_getinfo_pointer(CURL *handle, CURLINFO info, void **value);
CURLMcode aac_multi_setopt_long(CURLM *multi, CURLMoption option, long value);

/// The easy handle and result of a finished transfer, or NULL handle when the queue is empty.
CURL *aac_multi_next_done(CURLM *multi, CURLcode *result);

#endif
