#include "count.h"

void count_buffer(struct counts *c, const char *buf, size_t len, int *in_word) {
    for (size_t i = 0; i < len; i++) {
        char ch = buf[i];
        c->bytes++;
        if (ch == '\n') c->lines++;
        if (isspace((unsigned char)ch)) {
            *in_word = 0;
        } else if (!*in_word) {
            *in_word = 1;
            c->words++;
        }
    }
}
