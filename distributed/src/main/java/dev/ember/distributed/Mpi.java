package dev.ember.distributed;

import com.sun.jna.Library;
import com.sun.jna.Memory;
import com.sun.jna.Native;
import com.sun.jna.NativeLibrary;
import com.sun.jna.Pointer;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The few {@code MPI_*} functions Ember calls, bound with JNA direct mapping to Open MPI's {@code
 * libmpi}, and Open MPI's predefined handles (communicator, datatypes, operations), which are the
 * addresses of global symbols such as {@code ompi_mpi_comm_world}.
 *
 * <p>libmpi is opened {@code RTLD_NOW | RTLD_GLOBAL}: Open MPI's plugins ({@code mca_*.so}) resolve
 * their symbols against it. The library is found through {@code -Dember.mpi.library} or {@code
 * EMBER_MPI_LIBRARY} (a path or name), else {@code libmpi.so.40}, else {@code libmpi.so}.
 *
 * <p>Every handle argument is a {@link Pointer}: Open MPI's {@code MPI_Comm}, {@code MPI_Datatype},
 * {@code MPI_Op} and {@code MPI_Request} are pointers. Counts are C {@code int}s.
 */
final class Mpi {
  /** {@code MPI_THREAD_MULTIPLE} in Open MPI's enum. */
  static final int THREAD_MULTIPLE = 3;
  /** {@code MPI_IN_PLACE}: {@code (void *) 1}. */
  static final Pointer IN_PLACE = Pointer.createConstant(1L);
  /** {@code MPI_STATUS_IGNORE}: a null pointer. */
  static final Pointer STATUS_IGNORE = null;
  private static final int RTLD_NOW = 0x2;
  private static final int RTLD_GLOBAL = 0x100;

  private static NativeLibrary library;
  private static String loadFailure;

  private Mpi() {}

  /**
   * Opens libmpi globally and binds the natives below; idempotent. Returns null on success, else
   * why libmpi could not be opened (the library names tried and each error).
   */
  static synchronized String load() {
    if (library != null) {
      return null;
    }
    if (loadFailure != null) {
      return loadFailure;
    }
    List<String> names = new ArrayList<>();
    String configured = System.getProperty("ember.mpi.library", System.getenv("EMBER_MPI_LIBRARY"));
    if (configured != null && !configured.isBlank()) {
      names.add(configured);
    }
    names.add("libmpi.so.40");
    names.add("mpi");
    StringBuilder why = new StringBuilder();
    for (String name : names) {
      try {
        NativeLibrary lib = NativeLibrary.getInstance(name,
            Map.of(Library.OPTION_OPEN_FLAGS, RTLD_NOW | RTLD_GLOBAL));
        try {
          lib.getGlobalVariableAddress("ompi_mpi_comm_world");
        } catch (UnsatisfiedLinkError notOpenMpi) {
          why.append(why.length() == 0 ? "" : "; ").append(name).append(" (").append(lib.getFile())
              .append(") is not Open MPI: it lacks ompi_mpi_comm_world (MPICH and Intel MPI are not"
                  + " supported)");
          continue;
        }
        Native.register(Mpi.class, lib);
        library = lib;
        return null;
      } catch (UnsatisfiedLinkError | RuntimeException e) {
        why.append(why.length() == 0 ? "" : "; ").append(name).append(": ").append(e.getMessage());
      }
    }
    loadFailure = "cannot open Open MPI's libmpi (" + why + "); install it (Debian: apt-get install"
        + " openmpi-bin libopenmpi-dev) or set -Dember.mpi.library=/path/to/libmpi.so.40";
    return loadFailure;
  }

  /** Returns the address of Open MPI's global symbol {@code name}, a predefined handle. */
  static Pointer handle(String name) {
    return library.getGlobalVariableAddress(name);
  }

  /** Returns the path of the loaded library, for {@code Distributed.info()}. */
  static String libraryPath() {
    return library == null ? null : String.valueOf(library.getFile());
  }

  /** Returns {@code MPI_Error_string(code)}, e.g. "MPI_ERR_TRUNCATE: message truncated". */
  static String errorString(int code) {
    Memory text = new Memory(512);
    int[] length = new int[1];
    if (MPI_Error_string(code, text, length) != 0) {
      return "MPI error " + code;
    }
    return text.getString(0) + " (MPI error " + code + ")";
  }

  // ------------------------------------------------------------------------------- the functions

  static native int MPI_Init_thread(Pointer argc, Pointer argv, int required, int[] provided);

  static native int MPI_Initialized(int[] flag);

  static native int MPI_Finalized(int[] flag);

  static native int MPI_Finalize();

  static native int MPI_Abort(Pointer comm, int errorcode);

  static native int MPI_Comm_rank(Pointer comm, int[] rank);

  static native int MPI_Comm_size(Pointer comm, int[] size);

  static native int MPI_Get_library_version(Pointer version, int[] length);

  static native int MPI_Error_string(int code, Pointer text, int[] length);

  static native int MPI_Ibarrier(Pointer comm, Pointer request);

  static native int MPI_Iallreduce(Pointer sendbuf, Pointer recvbuf, int count, Pointer datatype,
      Pointer op, Pointer comm, Pointer request);

  static native int MPI_Ibcast(Pointer buffer, int count, Pointer datatype, int root, Pointer comm,
      Pointer request);

  static native int MPI_Iallgather(Pointer sendbuf, int sendcount, Pointer sendtype, Pointer recvbuf,
      int recvcount, Pointer recvtype, Pointer comm, Pointer request);

  static native int MPI_Ireduce_scatter_block(Pointer sendbuf, Pointer recvbuf, int recvcount,
      Pointer datatype, Pointer op, Pointer comm, Pointer request);

  static native int MPI_Isend(Pointer buf, int count, Pointer datatype, int dest, int tag,
      Pointer comm, Pointer request);

  static native int MPI_Irecv(Pointer buf, int count, Pointer datatype, int source, int tag,
      Pointer comm, Pointer request);

  static native int MPI_Test(Pointer request, int[] flag, Pointer status);

  static native int MPI_Allreduce(Pointer sendbuf, Pointer recvbuf, int count, Pointer datatype,
      Pointer op, Pointer comm);

  static native int MPI_Bcast(Pointer buffer, int count, Pointer datatype, int root, Pointer comm);

  static native int MPI_Barrier(Pointer comm);

  static native int MPI_Allgather(Pointer sendbuf, int sendcount, Pointer sendtype, Pointer recvbuf,
      int recvcount, Pointer recvtype, Pointer comm);
}
