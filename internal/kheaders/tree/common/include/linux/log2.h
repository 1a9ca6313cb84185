/* Empty: libbcc includes it; nothing here needs ilog2 and friends. */
