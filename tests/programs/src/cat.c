/* cat: copies each file named in argv to stdout, or stdin when there are
 * none. Exits 1 (after a message on stderr) if a file cannot be read. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

static int copy_stream(FILE *in, const char *name) {
    char buf[4096];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, in)) > 0) {
        if (fwrite(buf, 1, n, stdout) != n) {
            fprintf(stderr, "cat: write error: %s\n", strerror(errno));
            return 1;
        }
    }
    if (ferror(in)) {
        fprintf(stderr, "cat: %s: read error: %s\n", name, strerror(errno));
        return 1;
    }
    return 0;
}

int main(int argc, char **argv) {
    if (argc < 2)
        return copy_stream(stdin, "<stdin>");
    int status = 0;
    for (int i = 1; i < argc; i++) {
        FILE *f = fopen(argv[i], "rb");
        if (!f) {
            fprintf(stderr, "cat: %s: %s\n", argv[i], strerror(errno));
            status = 1;
            continue;
        }
        status |= copy_stream(f, argv[i]);
        fclose(f);
    }
    return status;
}
