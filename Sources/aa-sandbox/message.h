// Building and reading messages of the front-end protocol (aaf_protocol.h).
#ifndef AAFE_MESSAGE_H
#define AAFE_MESSAGE_H

#include <stddef.h>
#include <stdint.h>

/// A message being built: type, then fields.
struct aafe_message {
    unsigned char *data;
    size_t len, cap;
};

/// Starts a message of a type. Returns 0, or -1 when out of memory.
int aafe_message_start(struct aafe_message *m, uint16_t type);
/// Appends a field. Returns 0, or -1 when out of memory.
int aafe_message_add(struct aafe_message *m, uint16_t key, const void *value, size_t len);
/// Appends a NUL-terminated string as a field.
int aafe_message_add_string(struct aafe_message *m, uint16_t key, const char *value);
void aafe_message_free(struct aafe_message *m);

/// The type of a received message, or -1 when it is too short.
int aafe_message_type(const unsigned char *buf, size_t len);
/// The first field with a key in a received message, as a number; `fallback` when absent or not a number.
long aafe_message_number(const unsigned char *buf, size_t len, uint16_t key, long fallback);

#endif
