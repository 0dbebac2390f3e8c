#include <stdio.h>
#include "count.h"

int main(void) {
    struct counts c = {0, 0, 0};
    char buf[4096];
    int in_word = 0;
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, stdin)) > 0) {
        count_buffer(&c, buf, n, &in_word);
    }
    printf("%zu %zu %zu\n", c.lines, c.words, c.bytes);
    return 0;
}
