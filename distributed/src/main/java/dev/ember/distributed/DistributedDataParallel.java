package dev.ember.distributed;

import dev.ember.Autograd;
import dev.ember.DType;
import dev.ember.Tensor;
import dev.ember.internal.GradAccess;
import dev.ember.nn.Module;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Data-parallel training over the default process group ({@code
 * torch.nn.parallel.DistributedDataParallel}): every rank holds a replica of the module, runs it on
 * its own shard of the batch, and after {@code backward()} every replica's gradients are the average
 * over the ranks, so the optimizers take identical steps.
 *
 * <pre>{@code
 * Distributed.init("mpi");
 * Module model = new Sequential(new Linear(784, 128), new ReLU(), new Linear(128, 10));
 * DistributedDataParallel ddp = new DistributedDataParallel(model);   // rank 0's weights everywhere
 * Optimizer opt = new SGD(model.parameters(), SGD.options(0.1).withMomentum(0.9));
 * for (Tensor[] batch : loader) {                                     // a DistributedSampler shard
 *   opt.zeroGrad();
 *   loss.apply(ddp.call(batch[0]), batch[1]).backward();              // gradients averaged here
 *   opt.step();
 * }
 * }</pre>
 *
 * <p><b>How.</b> At construction rank 0's parameters and buffers are broadcast to all ranks (and
 * the ranks check they hold the same parameter shapes). The parameters that require grad are packed,
 * in reverse registration order (roughly the order backward produces their gradients), into
 * buckets of at most {@link Options#bucketCapBytes()} (25 MiB by default) of one dtype. A gradient
 * hook on every parameter copies its gradient into its bucket's host buffer; as soon as a bucket is
 * full its {@code MPI_Iallreduce} starts, so communication overlaps the rest of backward. Buckets are
 * started in bucket order on every rank. When backward ends (an {@link
 * Autograd#queueCallback} callback) the all-reduces are awaited, divided by the world size and
 * written into every parameter's {@code .grad}.
 *
 * <p><b>Accumulation.</b> Inside {@link #noSync()} backward only accumulates local gradients; the
 * first backward after it averages the accumulated sums.
 *
 * <p><b>Unused parameters.</b> A parameter that got no gradient in a backward raises an {@link
 * IllegalStateException} naming it, unless {@link Options#findUnusedParameters()} is set: then its
 * current {@code .grad} (or zeros) takes part in the average, as with PyTorch's {@code
 * find_unused_parameters=True}.
 *
 * <p>Gradients through {@code Autograd.grad} (no {@code .grad} accumulation) are not supported.
 */
public final class DistributedDataParallel extends Module {
  /** PyTorch's default bucket size, 25 MiB. */
  public static final long DEFAULT_BUCKET_BYTES = 25L << 20;

  /**
   * Settings of a {@link DistributedDataParallel}.
   *
   * @param bucketCapBytes the most bytes of gradients per all-reduce (a larger parameter gets a
   *     bucket of its own); PyTorch's {@code bucket_cap_mb}
   * @param findUnusedParameters whether parameters without a gradient in a backward are averaged
   *     with their current gradient (or zeros) instead of raising
   * @param broadcastBuffers whether rank 0's buffers (BatchNorm statistics) are broadcast at every
   *     training-mode forward, as PyTorch does by default
   */
  public record Options(long bucketCapBytes, boolean findUnusedParameters, boolean broadcastBuffers) {
    /** Checks the bucket size. */
    public Options {
      if (bucketCapBytes <= 0) {
        throw new IllegalArgumentException("DistributedDataParallel: bucketCapBytes must be positive,"
            + " got " + bucketCapBytes);
      }
    }

    /** Returns these options with a bucket cap of {@code mib} MiB (PyTorch's bucket_cap_mb). */
    public Options withBucketCapMb(double mib) {
      return new Options((long) Math.ceil(mib * (1 << 20)), findUnusedParameters, broadcastBuffers);
    }

    /** Returns these options with a bucket cap of {@code bytes}. */
    public Options withBucketCapBytes(long bytes) {
      return new Options(bytes, findUnusedParameters, broadcastBuffers);
    }

    /** Returns these options with unused-parameter handling on or off. */
    public Options withFindUnusedParameters(boolean on) {
      return new Options(bucketCapBytes, on, broadcastBuffers);
    }

    /** Returns these options with buffer broadcasting on or off. */
    public Options withBroadcastBuffers(boolean on) {
      return new Options(bucketCapBytes, findUnusedParameters, on);
    }
  }

  /** Returns PyTorch's defaults: 25 MiB buckets, unused parameters raise, buffers broadcast. */
  public static Options options() {
    return new Options(DEFAULT_BUCKET_BYTES, false, true);
  }

  private final Module module;
  private final Options options;
  private final MpiProcessGroup group;
  private final List<Tensor> params = new ArrayList<>();
  private final List<String> names = new ArrayList<>();
  private final List<Bucket> buckets = new ArrayList<>();
  /** The bucket of each parameter in {@code params}, and its position in that bucket. */
  private int[] bucketIndex;
  private int[] slotIndex;
  private final List<Tensor> buffersToSync;
  private boolean sync = true;
  private boolean callbackQueued;
  private int nextToLaunch;
  private long communicationWaitNanos;

  /** Wraps {@code module} with {@link #options()}; see the class comment. */
  public DistributedDataParallel(Module module) {
    this(module, options());
  }

  /**
   * Wraps {@code module}: broadcasts rank 0's parameters and buffers, builds the buckets and
   * registers the gradient hooks. Every rank must construct it at the same point.
   *
   * @throws IllegalStateException if the process group is not initialized
   * @throws DistributedException if the ranks' modules have different parameters
   */
  public DistributedDataParallel(Module module, Options options) {
    if (module == null || options == null) {
      throw new IllegalArgumentException("DistributedDataParallel: null module or options");
    }
    this.group = Distributed.group("DistributedDataParallel");
    this.module = registerModule("module", module);
    this.options = options;
    for (Map.Entry<String, Tensor> e : module.namedParameters().entrySet()) {
      if (e.getValue().requiresGrad()) {
        params.add(e.getValue());
        names.add(e.getKey());
      }
    }
    this.buffersToSync = new ArrayList<>(module.buffers());
    checkSameParameters(module);
    for (Tensor p : module.parameters()) {
      Distributed.broadcast(p, 0);
    }
    for (Tensor b : buffersToSync) {
      Distributed.broadcast(b, 0);
    }
    buildBuckets();
    for (int i = 0; i < params.size(); i++) {
      int index = i;
      params.get(i).registerHook(g -> {
        onGradient(index, g);
        return null;
      });
    }
  }

  /** Returns the wrapped module (whose state dict has no {@code "module."} prefix). */
  public Module module() {
    return module;
  }

  /** Returns the settings. */
  public Options settings() {
    return options;
  }

  /** Returns how many all-reduce buckets the gradients travel in. */
  public int bucketCount() {
    return buckets.size();
  }

  /**
   * Returns the total time, in nanoseconds, that synced backward passes spent after autograd
   * finished waiting for their gradient all-reduces: the communication that bucketing did not hide
   * behind the rest of backward (PyTorch reports it as {@code avg_backward_comm_time}'s exposed part).
   */
  public long communicationWaitNanos() {
    return communicationWaitNanos;
  }

  /**
   * Runs the wrapped module; in training mode first broadcasts rank 0's buffers (when {@link
   * Options#broadcastBuffers()}).
   */
  @Override
  public Tensor forward(Tensor input) {
    syncBuffers();
    return module.call(input);
  }

  /**
   * Runs the wrapped module on several inputs ({@code ddp.call(idx, targets)}) and returns all its
   * outputs; buffers are broadcast first as in {@link #forward(Tensor)}.
   */
  @Override
  public dev.ember.nn.Outputs forward(Tensor... inputs) {
    syncBuffers();
    return module.call(inputs);
  }

  private void syncBuffers() {
    if (options.broadcastBuffers() && isTraining() && group.size > 1) {
      for (Tensor b : buffersToSync) {
        Distributed.broadcast(b, 0);
      }
    }
  }

  /**
   * Returns a scope inside which backward passes only accumulate local gradients (PyTorch's {@code
   * no_sync()}); closing it restores averaging.
   */
  public AutoCloseable noSync() {
    boolean before = sync;
    sync = false;
    return () -> sync = before;
  }

  // ------------------------------------------------------------------------------------ internals

  /** One all-reduce: consecutive parameters of one dtype, packed in a host buffer. */
  private static final class Bucket {
    final DType dtype;
    final List<Integer> members = new ArrayList<>();
    final List<Integer> offsets = new ArrayList<>();
    int bytes;
    ByteBuffer buffer;
    boolean[] ready;
    int readyCount;
    Work work;

    Bucket(DType dtype) {
      this.dtype = dtype;
    }

    long elements() {
      return bytes / dtype.byteSize();
    }
  }

  private void buildBuckets() {
    int[] bucketOf = new int[params.size()];
    slotIndex = new int[params.size()];
    Bucket current = null;
    for (int i = params.size() - 1; i >= 0; i--) {
      Tensor p = params.get(i);
      int size = Staging.byteSize("DistributedDataParallel(" + names.get(i) + ")", p, 1);
      if (current == null || current.dtype != p.dtype()
          || (current.bytes > 0 && (long) current.bytes + size > options.bucketCapBytes())) {
        current = new Bucket(p.dtype());
        buckets.add(current);
      }
      slotIndex[i] = current.members.size();
      current.members.add(i);
      current.offsets.add(current.bytes);
      current.bytes += size;
      bucketOf[i] = buckets.size() - 1;
    }
    for (Bucket b : buckets) {
      b.buffer = Staging.allocate(b.bytes);
      b.ready = new boolean[b.members.size()];
    }
    this.bucketIndex = bucketOf;
  }

  /** The hook: stages one parameter's (accumulated) gradient and launches full buckets in order. */
  private void onGradient(int index, Tensor grad) {
    if (!sync) {
      return;
    }
    if (!callbackQueued) {
      callbackQueued = true;
      Autograd.queueCallback(this::finishBackward);
    }
    Bucket b = buckets.get(bucketIndex[index]);
    int slot = slotIndex[index];
    Tensor p = params.get(index);
    Tensor held = GradAccess.peek(p);   // read for this copy only: zeroGrad may still free it
    Tensor total = held == null ? grad : held.add(grad);
    Staging.copyIn(total, b.buffer, b.offsets.get(slot));
    if (!b.ready[slot]) {
      b.ready[slot] = true;
      b.readyCount++;
    }
    launchReadyBuckets();
  }

  /** Starts, in bucket order, every bucket whose gradients are all staged; drives MPI's progress. */
  private void launchReadyBuckets() {
    while (nextToLaunch < buckets.size()
        && buckets.get(nextToLaunch).readyCount == buckets.get(nextToLaunch).members.size()) {
      Bucket b = buckets.get(nextToLaunch);
      int index = nextToLaunch;
      b.work = Distributed.start(group, "DistributedDataParallel gradient bucket " + index + " ("
          + b.dtype + ", " + b.elements() + " elements)", request -> Mpi.MPI_Iallreduce(Mpi.IN_PLACE,
              MpiProcessGroup.address(b.buffer), (int) b.elements(), group.datatype(b.dtype),
              group.op(ReduceOp.SUM, b.dtype), group.comm, request), () -> { });
      nextToLaunch++;
    }
    for (int i = 0; i < nextToLaunch; i++) {
      buckets.get(i).work.isCompleted();
    }
  }

  /** At the end of backward: handles unused parameters, awaits the buckets, writes the averages. */
  private void finishBackward() {
    callbackQueued = false;
    List<String> unused = new ArrayList<>();
    for (Bucket b : buckets) {
      for (int slot = 0; slot < b.members.size(); slot++) {
        if (!b.ready[slot]) {
          unused.add(names.get(b.members.get(slot)));
        }
      }
    }
    if (!unused.isEmpty()) {
      if (!options.findUnusedParameters()) {
        // Launched buckets must finish before their buffers are reused; then reset for the next pass.
        awaitLaunchedAndReset();
        throw new IllegalStateException("DistributedDataParallel: parameters " + unused + " of "
            + module.getClass().getSimpleName() + " received no gradient in this backward pass on"
            + " rank " + group.rank + "; every parameter must take part in the loss, or construct"
            + " with options().withFindUnusedParameters(true) (PyTorch's find_unused_parameters=True)");
      }
      for (Bucket b : buckets) {
        for (int slot = 0; slot < b.members.size(); slot++) {
          if (!b.ready[slot]) {
            Tensor p = params.get(b.members.get(slot));
            Tensor held = GradAccess.peek(p);
            Tensor current = held == null ? Tensor.zerosLike(p) : held;
            Staging.copyIn(current, b.buffer, b.offsets.get(slot));
            b.ready[slot] = true;
            b.readyCount++;
          }
        }
      }
      launchReadyBuckets();
    }
    for (Bucket b : buckets) {
      long waitStart = System.nanoTime();
      b.work.waitFor();
      communicationWaitNanos += System.nanoTime() - waitStart;
      if (b.dtype.isFloatingPoint()) {
        Staging.divide(b.buffer, 0, b.elements(), b.dtype, group.size);
      }
      for (int slot = 0; slot < b.members.size(); slot++) {
        Tensor p = params.get(b.members.get(slot));
        if (GradAccess.peek(p) == null) {
          p.setGrad(Tensor.zerosLike(p).detach());
        }
        Staging.copyOut(b.buffer, b.offsets.get(slot), GradAccess.peek(p));
      }
    }
    awaitLaunchedAndReset();
  }

  private void awaitLaunchedAndReset() {
    for (int i = 0; i < nextToLaunch; i++) {
      buckets.get(i).work.waitFor();
    }
    for (Bucket b : buckets) {
      java.util.Arrays.fill(b.ready, false);
      b.readyCount = 0;
      b.work = null;
    }
    nextToLaunch = 0;
  }

  /** Raises on every rank if the ranks' modules differ in parameter names, shapes or dtypes. */
  private void checkSameParameters(Module m) {
    long hash = 17;
    for (Map.Entry<String, Tensor> e : m.namedParameters().entrySet()) {
      hash = hash * 31 + e.getKey().hashCode();
      hash = hash * 31 + java.util.Arrays.hashCode(e.getValue().shapeArray());
      hash = hash * 31 + e.getValue().dtype().ordinal();
    }
    Tensor max = Tensor.of(new long[] {hash});
    Tensor min = Tensor.of(new long[] {hash});
    Distributed.allReduce(max, ReduceOp.MAX);
    Distributed.allReduce(min, ReduceOp.MIN);
    if (max.toLongArray()[0] != min.toLongArray()[0]) {
      throw new DistributedException("DistributedDataParallel: the ranks' " + m.getClass().getSimpleName()
          + " modules have different parameters (names, shapes or dtypes); rank " + group.rank + " has "
          + m.namedParameters().size() + " parameters");
    }
  }
}
