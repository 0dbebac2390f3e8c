// Building, sending and parsing protocol messages (see aal_protocol.h).
#ifndef AASI_MSG_H
#define AASI_MSG_H

#include <stddef.h>
#include <stdint.h>
#include "aal_protocol.h"

struct msg {
    uint8_t *buf;
    size_t len;
    size_t cap;
    int failed; // an append did not fit
};

struct field {
    uint16_t key;
    uint32_t len;
    const uint8_t *data;
};

struct parsed {
    uint16_t type;
    size_t count;
    struct field *fields;
    int fds[AAL_MAX_FDS];
    int nfds;
};

void msg_begin(struct msg *m, uint8_t *buf, size_t cap, uint16_t type);
void msg_add(struct msg *m, uint16_t key, const void *data, size_t len);
void msg_add_str(struct msg *m, uint16_t key, const char *s);
void msg_add_num(struct msg *m, uint16_t key, long long v);
/// Sends one message with optional fds; returns 0 or -1 with errno.
int msg_send(int sock, const struct msg *m, const int *fds, int nfds);
/// Receives one message into buf; returns 1 on a message, 0 on EOF, -1 with errno.
int msg_recv(int sock, uint8_t *buf, size_t cap, struct parsed *p, struct field *fields, size_t max_fields);
/// The first field with this key, or NULL.
const struct field *msg_find(const struct parsed *p, uint16_t key);
/// Copies a field into a NUL-terminated string; returns dst or NULL if it does not fit.
char *field_str(const struct field *f, char *dst, size_t cap);
long long field_num(const struct field *f, long long fallback);
/// Splits a NUL-separated field value into at most n parts, copying into scratch; returns the count.
int field_split(const struct field *f, char *scratch, size_t cap, char **parts, int n);

#endif
