package dev.ember;

import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Set;

/**
 * Frees the memory of tensors made inside a block as soon as the block ends, instead of when the
 * garbage collector finds them: a per-thread, nestable try-with-resources scope.
 *
 * <pre>{@code
 * for (Tensor[] batch : loader) {
 *   try (TensorScope scope = TensorScope.open()) {
 *     Tensor loss = lossFn.apply(model.call(batch[0]), batch[1]);
 *     optimizer.zeroGrad();
 *     loss.backward();
 *     optimizer.step();
 *     total += loss.item();          // read what you need inside the scope
 *   }                                // every activation and temporary is freed here
 * }
 * }</pre>
 *
 * <p>Every tensor whose storage is allocated while a scope is open belongs to the innermost one;
 * {@link #close()} frees them all except those passed to {@link #keep}, which move to the
 * enclosing scope (or to the garbage collector's care at the outermost level). A freed tensor (and
 * any view of it) raises {@link IllegalStateException} when used. Gradients accumulated into
 * {@link Tensor#grad()}, optimizer state and module parameters are never owned by a scope.
 *
 * <p>Without scopes memory is still reclaimed: storages return to their backend when unreachable.
 * Ember itself frees the temporaries of {@code backward} and of optimizer steps this way.
 */
public final class TensorScope implements AutoCloseable {
  private static final ThreadLocal<TensorScope> CURRENT = new ThreadLocal<>();
  private final TensorScope parent;
  private final boolean owning;
  private final Thread thread = Thread.currentThread();
  private final List<Tensor> owned = new ArrayList<>();
  private final Set<Object> ownedStorages = Collections.newSetFromMap(new IdentityHashMap<>());
  private final Set<Object> kept = Collections.newSetFromMap(new IdentityHashMap<>());
  private final Set<Object> escaped = Collections.newSetFromMap(new IdentityHashMap<>());
  private boolean closed;

  private TensorScope(TensorScope parent, boolean owning) {
    this.parent = parent;
    this.owning = owning;
  }

  /** Opens a scope on this thread; close it (try-with-resources) to free what it owns. */
  public static TensorScope open() {
    TensorScope s = new TensorScope(CURRENT.get(), true);
    CURRENT.set(s);
    return s;
  }

  /**
   * Opens a block whose new tensors belong to no scope (they live until unreachable), e.g. state
   * that must outlive the enclosing scope.
   */
  public static TensorScope unscoped() {
    TensorScope s = new TensorScope(CURRENT.get(), false);
    CURRENT.set(s);
    return s;
  }

  /** Records a newly allocated tensor in the innermost owning scope, if any. */
  static void register(Tensor t) {
    TensorScope s = CURRENT.get();
    if (s != null && s.owning) {
      s.owned.add(t);
      s.ownedStorages.add(t.storageIdentity());
    }
  }

  /** Keeps {@code t} (and every view of its storage) alive past this scope; returns {@code t}. */
  public Tensor keep(Tensor t) {
    if (t != null) {
      kept.add(t.storageIdentity());
    }
    return t;
  }

  /**
   * Lets {@code t} (and every view of its storage) outlive every scope: no scope will free it;
   * it lives until unreachable. Returns {@code t}.
   */
  public Tensor escape(Tensor t) {
    if (t != null) {
      escaped.add(t.storageIdentity());
    }
    return t;
  }

  /**
   * Removes {@code t}'s storage from every scope open on this thread, so none of them frees it:
   * for long-lived state made inside a scope (module parameters and buffers do this themselves).
   * Returns {@code t}.
   */
  public static Tensor disown(Tensor t) {
    for (TensorScope s = CURRENT.get(); s != null && t != null; s = s.parent) {
      s.escaped.add(t.storageIdentity());
    }
    return t;
  }

  /**
   * Frees {@code t}'s storage now if this scope owns it and it is neither kept nor escaped; returns
   * whether it did. For code that knows a temporary is dead before the scope ends (the autograd
   * engine, after a node has consumed its gradient).
   */
  boolean freeIfOwned(Tensor t) {
    Object id = t.storageIdentity();
    if (!ownedStorages.contains(id) || kept.contains(id) || escaped.contains(id)) {
      return false;
    }
    ownedStorages.remove(id);
    t.freeStorage();
    return true;
  }

  /** Returns whether this scope owns {@code t}'s storage and would free it: not kept, not escaped. */
  boolean ownsFreely(Tensor t) {
    Object id = t.storageIdentity();
    return ownedStorages.contains(id) && !kept.contains(id) && !escaped.contains(id);
  }

  /** Keeps every tensor of {@code tensors}; see {@link #keep(Tensor)}. */
  public void keepAll(Iterable<Tensor> tensors) {
    for (Tensor t : tensors) {
      keep(t);
    }
  }

  /**
   * Frees every owned tensor not kept; kept ones move to the enclosing scope. Idempotent.
   *
   * <p>Scopes close in the reverse order they opened. Closing a scope while scopes opened after it
   * are still open closes those first (as if their blocks had ended), closes this one, then raises:
   * the thread is left in the enclosing scope, so what it allocates next is still owned.
   *
   * @throws IllegalStateException if called from a thread other than the one that opened the scope
   *     (nothing changes), or if inner scopes were still open (they are closed first)
   */
  @Override
  public void close() {
    if (closed) {
      return;
    }
    if (Thread.currentThread() != thread) {
      throw new IllegalStateException("TensorScope: close() called on thread '" + Thread.currentThread().getName()
          + "' for a scope opened on thread '" + thread.getName() + "'; a scope must be closed on the thread"
          + " that opened it (the scope stays open)");
    }
    int inner = 0;
    while (CURRENT.get() != this) {
      TensorScope top = CURRENT.get();
      if (top == null) {
        // Not on this thread's stack although open and ours: cannot happen, but never loop.
        throw new IllegalStateException("TensorScope: the scope being closed is not open on this thread");
      }
      top.closeTop();
      inner++;
    }
    closeTop();
    if (inner > 0) {
      throw new IllegalStateException("TensorScope: scopes must close in the reverse order they opened; "
          + inner + " scope(s) opened inside this one were still open and have been closed first");
    }
  }

  /** Closes this scope, the innermost open one on its thread. */
  private void closeTop() {
    closed = true;
    CURRENT.set(parent);
    TensorScope heir = parent;
    while (heir != null && !heir.owning) {
      heir = heir.parent;
    }
    for (Tensor t : owned) {
      if (escaped.contains(t.storageIdentity())) {
        continue;
      }
      if (kept.contains(t.storageIdentity())) {
        if (heir != null) {
          heir.owned.add(t);
          heir.ownedStorages.add(t.storageIdentity());
        }
      } else {
        t.freeStorage();
      }
    }
    owned.clear();
    ownedStorages.clear();
  }
}
