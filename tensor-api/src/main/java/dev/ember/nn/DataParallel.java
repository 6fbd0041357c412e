package dev.ember.nn;

import dev.ember.Device;
import dev.ember.GradMode;
import dev.ember.Tensor;
import dev.ember.internal.Backends;
import dev.ember.ops.Shaping;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Single-process data parallelism over several devices, PyTorch's {@code nn.DataParallel}: wraps a
 * module (registered as the child {@code "module"}, so {@link #stateDict()} keys gain the {@code
 * "module."} prefix, as in PyTorch) and splits each batch across the devices.
 *
 * <ul>
 *   <li><b>No devices</b> (no CUDA, which is what {@link #DataParallel(Module)} finds on a machine
 *       without one): {@code forward} just calls the module.
 *   <li><b>One device</b>: the inputs are moved to it and the module is called.
 *   <li><b>Several devices</b>: every input is cut into chunks along {@code dim} ({@link
 *       Tensor#chunk}, as PyTorch's scatter), chunk {@code i} is moved to device {@code i}, a
 *       replica of the module runs on it, and the outputs are gathered: moved to the output device
 *       and concatenated along {@code dim} (0-dim outputs, such as a loss, become a vector with one
 *       element per replica, as PyTorch does). A batch with fewer rows than devices uses only the
 *       first ones. Null inputs (PyTorch's {@code None}) go to every replica as null.
 * </ul>
 *
 * <p>Replicas, as in PyTorch: replica 0 is the module itself (it must live on the first device);
 * the replica on device {@code i > 0} uses differentiable copies {@code p.to(device_i)} of the
 * parameters, so backward sums every replica's gradient into the original parameters, and detached
 * copies of the buffers, so in-place buffer updates (BatchNorm's running statistics) made by those
 * replicas are dropped and only replica 0's are kept. <b>Unlike PyTorch, the replicas run one
 * after another on the calling thread</b>, not on one thread per device: the split is exact and
 * the gradients are PyTorch's, but the devices do not compute concurrently. For speed over several
 * GPUs use {@code DistributedDataParallel} (module {@code distributed}), as PyTorch also advises.
 *
 * <p>Ember's CPU is a single device ({@code cpu}); a device list may still name it several times,
 * which runs the scatter, replicate and gather path on the CPU (PyTorch accepts CUDA devices only).
 * The replicas read their parameters through {@link Module#param}, as every Ember layer does; a
 * module that caches a parameter tensor in a field would not see the copies.
 */
public final class DataParallel extends Module {
  private final Module module;
  private final List<Device> devices;
  private final Device outputDevice;
  private final int dim;

  /**
   * Wraps {@code module} over every CUDA device that opens ({@code cuda:0}, {@code cuda:1}, ...),
   * PyTorch's {@code DataParallel(module)}; with no CUDA devices forward just calls the module.
   */
  public DataParallel(Module module) {
    this(module, visibleCudaDevices());
  }

  /**
   * Wraps {@code module} over {@code devices} ({@code device_ids}), gathering outputs on the first
   * one along dim 0.
   */
  public DataParallel(Module module, List<Device> devices) {
    this(module, devices, devices == null || devices.isEmpty() ? null : devices.get(0), 0);
  }

  /**
   * Wraps {@code module} over {@code devices}, gathering outputs on {@code outputDevice} along
   * {@code dim} (PyTorch's {@code DataParallel(module, device_ids, output_device, dim)}).
   *
   * @throws IllegalArgumentException if the module's parameters or buffers are not on the first
   *     device (checked again at every forward, as PyTorch), or an argument is null or out of range
   */
  public DataParallel(Module module, List<Device> devices, Device outputDevice, int dim) {
    if (module == null || devices == null) {
      throw new IllegalArgumentException("DataParallel: null module or device list");
    }
    if (dim < 0) {
      throw new IllegalArgumentException("DataParallel: dim must be >= 0, got " + dim);
    }
    this.module = registerModule("module", module);
    this.devices = List.copyOf(devices);
    this.outputDevice = devices.isEmpty() ? null : outputDevice;
    this.dim = dim;
    if (!devices.isEmpty()) {
      if (outputDevice == null) {
        throw new IllegalArgumentException("DataParallel: null output device");
      }
      checkModuleOnFirstDevice();
    }
  }

  /** Checks, as PyTorch does at construction and at every forward, that the module lives on the first device. */
  private void checkModuleOnFirstDevice() {
    Device first = devices.get(0);
    for (Map.Entry<String, Tensor> e : module.namedParameters().entrySet()) {
      checkOn(first, e.getKey(), e.getValue());
    }
    for (Map.Entry<String, Tensor> e : module.namedBuffers().entrySet()) {
      checkOn(first, e.getKey(), e.getValue());
    }
  }

  private static void checkOn(Device first, String name, Tensor t) {
    if (t != null && !t.device().equals(first)) {
      throw new IllegalArgumentException("DataParallel: module must have its parameters and buffers on device "
          + first + " (device_ids[0]) but found '" + name + "' on device " + t.device());
    }
  }

  /** Returns every CUDA device that opens, in index order; empty without CUDA. */
  static List<Device> visibleCudaDevices() {
    List<Device> found = new ArrayList<>();
    while (Backends.isAvailable(Device.cuda(found.size()))) {
      found.add(Device.cuda(found.size()));
    }
    return found;
  }

  /** Returns the wrapped module (PyTorch's {@code .module}), whose state dict has no prefix. */
  public Module module() {
    return module;
  }

  /** Returns the devices the batch is split across ({@code device_ids}); empty: no split. */
  public List<Device> deviceIds() {
    return devices;
  }

  /** Returns the device the outputs are gathered on, or null when there are no devices. */
  public Device outputDevice() {
    return outputDevice;
  }

  /** Returns the dim the inputs are split and the outputs concatenated along. */
  public int dim() {
    return dim;
  }

  /** Runs the module on {@code input}, split across the devices; see the class comment. */
  @Override
  public Tensor forward(Tensor input) {
    return forward(new Tensor[] {input}).single("DataParallel");
  }

  /** Runs the module on several inputs, each split across the devices; see the class comment. */
  @Override
  public Outputs forward(Tensor... inputs) {
    if (devices.isEmpty()) {
      return module.call(inputs);
    }
    checkModuleOnFirstDevice();
    if (devices.size() == 1) {
      return module.call(moved(inputs, devices.get(0)));
    }
    List<Tensor[]> chunks = scatter(inputs);
    List<Outputs> outputs = new ArrayList<>();
    for (int i = 0; i < chunks.size(); i++) {
      outputs.add(runReplica(i, chunks.get(i)));
    }
    return gather(outputs);
  }

  /** Cuts every input into one chunk per device (fewer when the batch is smaller). */
  private List<Tensor[]> scatter(Tensor[] inputs) {
    int replicas = devices.size();
    List<List<Tensor>> pieces = new ArrayList<>();
    for (Tensor x : inputs) {
      if (x == null) {
        pieces.add(null);
        continue;
      }
      if (dim >= x.dim()) {
        throw new IllegalArgumentException("DataParallel: cannot split an input of shape " + x.shape()
            + " along dim " + dim);
      }
      List<Tensor> c = x.chunk(devices.size(), dim);
      pieces.add(c);
      replicas = Math.min(replicas, c.size());
    }
    List<Tensor[]> out = new ArrayList<>();
    for (int r = 0; r < replicas; r++) {
      Tensor[] args = new Tensor[inputs.length];
      for (int k = 0; k < inputs.length; k++) {
        args[k] = pieces.get(k) == null ? null : pieces.get(k).get(r).to(devices.get(r));
      }
      out.add(args);
    }
    return out;
  }

  private static Tensor[] moved(Tensor[] inputs, Device device) {
    Tensor[] out = new Tensor[inputs.length];
    for (int i = 0; i < inputs.length; i++) {
      out[i] = inputs[i] == null ? null : inputs[i].to(device);
    }
    return out;
  }

  /** Runs replica {@code r}: the module itself for r = 0, else the module over copies on device r. */
  private Outputs runReplica(int r, Tensor[] args) {
    if (r == 0) {
      return module.call(args);
    }
    Device device = devices.get(r);
    return module.withTensorsReplaced(p -> p.to(device), b -> bufferCopy(b, device), () -> module.call(args));
  }

  private static Tensor bufferCopy(Tensor buffer, Device device) {
    try (GradMode off = GradMode.noGrad()) {
      Tensor moved = buffer.to(device);
      return moved == buffer ? buffer.clone() : moved;
    }
  }

  /** Moves every replica's outputs to the output device and concatenates them along dim. */
  private Outputs gather(List<Outputs> outputs) {
    int count = outputs.get(0).size();
    List<Tensor> gathered = new ArrayList<>();
    for (int k = 0; k < count; k++) {
      List<Tensor> parts = new ArrayList<>();
      for (Outputs o : outputs) {
        if (o.size() != count) {
          throw new IllegalStateException("DataParallel: replicas returned " + count + " and " + o.size()
              + " outputs");
        }
        Tensor t = o.get(k);
        parts.add(t == null ? null : t.to(outputDevice));
      }
      if (parts.stream().allMatch(t -> t == null)) {
        gathered.add(null);
      } else if (parts.stream().anyMatch(t -> t == null)) {
        throw new IllegalStateException("DataParallel: output " + k + " is null on some replicas only");
      } else if (parts.get(0).dim() == 0) {
        gathered.add(Shaping.stack(parts, 0));
      } else {
        gathered.add(Shaping.cat(parts, dim));
      }
    }
    return Outputs.of(gathered);
  }
}
