// Prints a line, then exits with the code given as argv[1] through exit(), or by returning
// it from main when argv[2] is "return".
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(int argc, char **argv) {
    if (argc < 2) {
        fprintf(stderr, "usage: exit_code CODE [return]\n");
        return 1;
    }
    int code = atoi(argv[1]);
    printf("exiting with %d\n", code);
    fflush(stdout);
    if (argc > 2 && strcmp(argv[2], "return") == 0) {
        return code;
    }
    exit(code);
}
