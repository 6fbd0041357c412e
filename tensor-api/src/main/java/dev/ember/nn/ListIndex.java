package dev.ember.nn;

/** Python's list-index rules for the module containers. */
final class ListIndex {
  private ListIndex() {}

  /**
   * Returns where {@code list.insert(index, x)} puts x in a list of {@code size}: negative indices
   * count from the end, and out-of-range ones are clamped to the ends, as in Python.
   */
  static int forInsert(int index, int size) {
    int i = index < 0 ? index + size : index;
    return Math.max(0, Math.min(size, i));
  }
}
