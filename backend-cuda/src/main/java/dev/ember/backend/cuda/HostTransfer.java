package dev.ember.backend.cuda;

import static jcuda.driver.JCudaDriver.cuMemAllocHost;
import static jcuda.driver.JCudaDriver.cuMemcpyDtoH;
import static jcuda.driver.JCudaDriver.cuMemcpyHtoD;

import java.nio.ByteBuffer;
import jcuda.CudaException;
import jcuda.Pointer;
import jcuda.driver.CUdeviceptr;

/**
 * Host-device copies. Small transfers go through a Java array; large ones are chunked through one
 * page-locked staging buffer, which the DMA engine reads at full speed (a pageable copy is staged
 * by the driver anyway, in smaller pieces). Neither direction moves the buffer's position.
 */
final class HostTransfer {
  private static final long SMALL = 64 * 1024;
  private static final int CHUNK = 8 * 1024 * 1024;

  private Pointer pinned;
  private ByteBuffer staging;
  private boolean pinnedFailed;

  /** Copies {@code bytes} from {@code src}'s position to device memory. Context must be current. */
  synchronized void toDevice(ByteBuffer src, CUdeviceptr dst, long bytes) {
    ByteBuffer in = src.duplicate();
    if (bytes <= SMALL || !staging()) {
      byte[] tmp = new byte[(int) Math.min(bytes, CHUNK)];
      for (long done = 0; done < bytes; done += tmp.length) {
        int n = (int) Math.min(tmp.length, bytes - done);
        in.get(tmp, 0, n);
        cuMemcpyHtoD(dst.withByteOffset(done), Pointer.to(tmp), n);
      }
      return;
    }
    for (long done = 0; done < bytes; done += CHUNK) {
      int n = (int) Math.min(CHUNK, bytes - done);
      ByteBuffer part = in.slice();
      part.limit(n);
      staging.clear();
      staging.put(part);
      in.position(in.position() + n);
      cuMemcpyHtoD(dst.withByteOffset(done), pinned, n);
    }
  }

  /** Copies {@code bytes} of device memory to {@code dst} from its position. Context must be current. */
  synchronized void toHost(CUdeviceptr src, long bytes, ByteBuffer dst) {
    ByteBuffer out = dst.duplicate();
    if (bytes <= SMALL || !staging()) {
      byte[] tmp = new byte[(int) Math.min(bytes, CHUNK)];
      for (long done = 0; done < bytes; done += tmp.length) {
        int n = (int) Math.min(tmp.length, bytes - done);
        cuMemcpyDtoH(Pointer.to(tmp), src.withByteOffset(done), n);
        out.put(tmp, 0, n);
      }
      return;
    }
    for (long done = 0; done < bytes; done += CHUNK) {
      int n = (int) Math.min(CHUNK, bytes - done);
      cuMemcpyDtoH(pinned, src.withByteOffset(done), n);
      staging.clear();
      staging.limit(n);
      out.put(staging);
    }
  }

  /** Allocates the staging buffer on first use; returns false if page-locked memory is refused. */
  private boolean staging() {
    if (staging != null) {
      return true;
    }
    if (pinnedFailed) {
      return false;
    }
    try {
      Pointer p = new Pointer();
      cuMemAllocHost(p, CHUNK);
      pinned = p;
      staging = p.getByteBuffer(0, CHUNK);
      return true;
    } catch (CudaException e) {
      pinnedFailed = true;  // e.g. a locked-memory limit: fall back to pageable copies
      return false;
    }
  }
}
