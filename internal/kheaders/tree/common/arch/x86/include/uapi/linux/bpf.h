/* Empty on purpose: libbcc ships its own bpf.h, a real one here redefines its enums. */
