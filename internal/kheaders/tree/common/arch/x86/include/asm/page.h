/* gosnoop minimal tree: libbcc helpers only need PAGE_SIZE. */
#define PAGE_SIZE 4096
