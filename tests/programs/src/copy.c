/* copy SRC DST: copies file SRC to DST (created or truncated, mode 0644)
 * with open/read/write/close, then prints "copied N bytes". Errors go to
 * stderr as "copy: <path>: <message>" with exit 1; bad usage exits 2. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

int main(int argc, char **argv) {
    if (argc != 3) {
        fprintf(stderr, "usage: copy SRC DST\n");
        return 2;
    }
    int in = open(argv[1], O_RDONLY);
    if (in < 0) {
        fprintf(stderr, "copy: %s: %s\n", argv[1], strerror(errno));
        return 1;
    }
    int out = open(argv[2], O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (out < 0) {
        fprintf(stderr, "copy: %s: %s\n", argv[2], strerror(errno));
        close(in);
        return 1;
    }
    char buf[8192];
    long total = 0;
    for (;;) {
        ssize_t n = read(in, buf, sizeof buf);
        if (n < 0) {
            fprintf(stderr, "copy: %s: %s\n", argv[1], strerror(errno));
            return 1;
        }
        if (n == 0)
            break;
        for (ssize_t done = 0; done < n;) {
            ssize_t w = write(out, buf + done, (size_t)(n - done));
            if (w < 0) {
                fprintf(stderr, "copy: %s: %s\n", argv[2], strerror(errno));
                return 1;
            }
            done += w;
        }
        total += n;
    }
    if (close(out) != 0) {
        fprintf(stderr, "copy: %s: %s\n", argv[2], strerror(errno));
        return 1;
    }
    close(in);
    printf("copied %ld bytes\n", total);
    return 0;
}
