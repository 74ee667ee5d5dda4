/* wc: prints "<lines> <words> <bytes>" for stdin. A word is a maximal run
 * of bytes that are not space, tab, newline, CR, VT or FF. */
#include <stdio.h>

int main(void) {
    unsigned long lines = 0, words = 0, bytes = 0;
    int in_word = 0;
    unsigned char buf[4096];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, stdin)) > 0) {
        bytes += n;
        for (size_t i = 0; i < n; i++) {
            unsigned char c = buf[i];
            if (c == '\n')
                lines++;
            int space = c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
            if (space)
                in_word = 0;
            else if (!in_word) {
                in_word = 1;
                words++;
            }
        }
    }
    printf("%lu %lu %lu\n", lines, words, bytes);
    return 0;
}
