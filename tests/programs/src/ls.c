/* ls DIR...: lists each directory sorted by name (bytewise), one entry per
 * line, skipping "." and "..". Directories get a trailing "/", symlinks "@",
 * regular files " <size>". With several DIRs each list starts "DIR:". */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static int by_name(const void *a, const void *b) {
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static int list(const char *path) {
    DIR *dir = opendir(path);
    if (!dir) {
        fprintf(stderr, "ls: %s: %s\n", path, strerror(errno));
        return 1;
    }
    size_t count = 0, cap = 16;
    char **names = malloc(cap * sizeof *names);
    struct dirent *entry;
    while ((entry = readdir(dir)) != NULL) {
        if (!strcmp(entry->d_name, ".") || !strcmp(entry->d_name, ".."))
            continue;
        if (count == cap)
            names = realloc(names, (cap *= 2) * sizeof *names);
        names[count++] = strdup(entry->d_name);
    }
    closedir(dir);
    qsort(names, count, sizeof *names, by_name);
    for (size_t i = 0; i < count; i++) {
        char full[1024];
        snprintf(full, sizeof full, "%s/%s", path, names[i]);
        struct stat st;
        if (lstat(full, &st) != 0)
            printf("%s ?%s\n", names[i], strerror(errno));
        else if (S_ISDIR(st.st_mode))
            printf("%s/\n", names[i]);
        else if (S_ISLNK(st.st_mode))
            printf("%s@\n", names[i]);
        else
            printf("%s %lld\n", names[i], (long long)st.st_size);
        free(names[i]);
    }
    free(names);
    return 0;
}

int main(int argc, char **argv) {
    if (argc < 2) {
        fprintf(stderr, "usage: ls DIR...\n");
        return 2;
    }
    int status = 0;
    for (int i = 1; i < argc; i++) {
        if (argc > 2)
            printf("%s:\n", argv[i]);
        status |= list(argv[i]);
    }
    return status;
}
