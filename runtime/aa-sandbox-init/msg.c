#include "msg.h"

#include "CAutoAgentLinux.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void msg_begin(struct msg *m, uint8_t *buf, size_t cap, uint16_t type) {
    m->buf = buf;
    m->cap = cap;
    m->len = 0;
    m->failed = 0;
    if (cap < 2) { m->failed = 1; return; }
    buf[0] = (uint8_t)(type & 0xff);
    buf[1] = (uint8_t)(type >> 8);
    m->len = 2;
}

void msg_add(struct msg *m, uint16_t key, const void *data, size_t len) {
    if (m->failed || len > UINT32_MAX || m->len + 6 + len > m->cap) { m->failed = 1; return; }
    uint8_t *p = m->buf + m->len;
    p[0] = (uint8_t)(key & 0xff);
    p[1] = (uint8_t)(key >> 8);
    p[2] = (uint8_t)(len & 0xff);
    p[3] = (uint8_t)((len >> 8) & 0xff);
    p[4] = (uint8_t)((len >> 16) & 0xff);
    p[5] = (uint8_t)((len >> 24) & 0xff);
    if (len) memcpy(p + 6, data, len);
    m->len += 6 + len;
}

void msg_add_str(struct msg *m, uint16_t key, const char *s) { msg_add(m, key, s, strlen(s)); }

void msg_add_num(struct msg *m, uint16_t key, long long v) {
    char tmp[32];
    int n = snprintf(tmp, sizeof tmp, "%lld", v);
    msg_add(m, key, tmp, (size_t)n);
}

int msg_send(int sock, const struct msg *m, const int *fds, int nfds) {
    if (m->failed) { errno = E2BIG; return -1; }
    return aal_send_with_fds(sock, m->buf, m->len, fds, nfds) < 0 ? -1 : 0;
}

int msg_recv(int sock, uint8_t *buf, size_t cap, struct parsed *p, struct field *fields, size_t max_fields) {
    ssize_t n = aal_recv_with_fds(sock, buf, cap, p->fds, AAL_MAX_FDS, &p->nfds);
    if (n < 0) return -1;
    if (n == 0) return 0;
    if (n < 2) { errno = EBADMSG; return -1; }
    p->type = (uint16_t)(buf[0] | (buf[1] << 8));
    p->fields = fields;
    p->count = 0;
    size_t off = 2;
    while (off < (size_t)n) {
        if (off + 6 > (size_t)n || p->count >= max_fields) { errno = EBADMSG; return -1; }
        uint16_t key = (uint16_t)(buf[off] | (buf[off + 1] << 8));
        uint32_t len = (uint32_t)buf[off + 2] | ((uint32_t)buf[off + 3] << 8) | ((uint32_t)buf[off + 4] << 16) | ((uint32_t)buf[off + 5] << 24);
        off += 6;
        if (len > (size_t)n - off) { errno = EBADMSG; return -1; }
        fields[p->count].key = key;
        fields[p->count].len = len;
        fields[p->count].data = buf + off;
        p->count++;
        off += len;
    }
    return 1;
}

const struct field *msg_find(const struct parsed *p, uint16_t key) {
    for (size_t i = 0; i < p->count; i++)
        if (p->fields[i].key == key) return &p->fields[i];
    return NULL;
}

char *field_str(const struct field *f, char *dst, size_t cap) {
    if (!f || f->len + 1 > cap) return NULL;
    memcpy(dst, f->data, f->len);
    dst[f->len] = 0;
    return dst;
}

long long field_num(const struct field *f, long long fallback) {
    char tmp[32];
    if (!field_str(f, tmp, sizeof tmp)) return fallback;
    char *end;
    errno = 0;
    long long v = strtoll(tmp, &end, 10);
    if (errno || *end || end == tmp) return fallback;
    return v;
}

int field_split(const struct field *f, char *scratch, size_t cap, char **parts, int n) {
    if (!field_str(f, scratch, cap)) return 0;
    int count = 0;
    size_t i = 0;
    while (count < n) {
        parts[count++] = scratch + i;
        size_t l = strlen(scratch + i);
        i += l + 1;
        if (i > f->len) break;
    }
    return count;
}
