// Building and reading messages of the front-end protocol.
#include "message.h"

#include <stdlib.h>
#include <string.h>

static int reserve(struct aafe_message *m, size_t more) {
    if (m->len + more <= m->cap) return 0;
    size_t cap = m->cap ? m->cap : 4096;
    while (cap < m->len + more) cap *= 2;
    unsigned char *data = realloc(m->data, cap);
    if (!data) return -1;
    m->data = data;
    m->cap = cap;
    return 0;
}

int aafe_message_start(struct aafe_message *m, uint16_t type) {
    m->data = NULL;
    m->len = m->cap = 0;
    if (reserve(m, 2) != 0) return -1;
    m->data[0] = (unsigned char)(type & 0xff);
    m->data[1] = (unsigned char)(type >> 8);
    m->len = 2;
    return 0;
}

int aafe_message_add(struct aafe_message *m, uint16_t key, const void *value, size_t len) {
    if (len > UINT32_MAX || reserve(m, 6 + len) != 0) return -1;
    unsigned char *p = m->data + m->len;
    p[0] = (unsigned char)(key & 0xff);
    p[1] = (unsigned char)(key >> 8);
    for (int i = 0; i < 4; i++) p[2 + i] = (unsigned char)((uint32_t)len >> (8 * i));
    if (len) memcpy(p + 6, value, len);
    m->len += 6 + len;
    return 0;
}

int aafe_message_add_string(struct aafe_message *m, uint16_t key, const char *value) {
    return aafe_message_add(m, key, value, strlen(value));
}

void aafe_message_free(struct aafe_message *m) {
    free(m->data);
    m->data = NULL;
    m->len = m->cap = 0;
}

int aafe_message_type(const unsigned char *buf, size_t len) {
    if (len < 2) return -1;
    return buf[0] | buf[1] << 8;
}

long aafe_message_number(const unsigned char *buf, size_t len, uint16_t key, long fallback) {
    size_t off = 2;
    while (off + 6 <= len) {
        uint16_t k = (uint16_t)(buf[off] | buf[off + 1] << 8);
        uint32_t n = 0;
        for (int i = 0; i < 4; i++) n |= (uint32_t)buf[off + 2 + i] << (8 * i);
        off += 6;
        if (n > len - off) return fallback;
        if (k == key) {
            char text[24];
            if (n == 0 || n >= sizeof(text)) return fallback;
            memcpy(text, buf + off, n);
            text[n] = 0;
            char *end;
            long value = strtol(text, &end, 10);
            return *end ? fallback : value;
        }
        off += n;
    }
    return fallback;
}
