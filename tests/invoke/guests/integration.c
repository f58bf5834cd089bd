/* Answers 201 with a header and a base64 body ("hi"), as integration output. */
#include <stdio.h>
int main(void) {
    fputs("{\"statusCode\":201,\"headers\":{\"x-a\":\"b\",\"Content-Type\":\"text/x-test\"},"
          "\"body\":\"aGk=\",\"isBase64Encoded\":true}",
          stdout);
    return 0;
}
