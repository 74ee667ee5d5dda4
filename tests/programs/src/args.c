/* Echoes its arguments and environment: "argc N", then "argv[i]=<arg>" for
 * each argument, then "env <NAME=value>" for each environment entry in the
 * order the runtime passed them. */
#include <stdio.h>

extern char **environ;

int main(int argc, char **argv) {
    printf("argc %d\n", argc);
    for (int i = 0; i < argc; i++)
        printf("argv[%d]=%s\n", i, argv[i]);
    int n = 0;
    for (char **e = environ; e && *e; e++, n++)
        printf("env %s\n", *e);
    printf("envc %d\n", n);
    return 0;
}
