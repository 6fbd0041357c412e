/* Open MPI's own MPI_Allreduce (float sum, in place), timed like AllReduceBench: the reference
 * column of bench/run-distributed. Prints "C_ALLREDUCE bytes microseconds" lines on rank 0. */
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int cmp(const void *a, const void *b) {
  double x = *(const double *) a, y = *(const double *) b;
  return x < y ? -1 : x > y;
}

int main(int argc, char **argv) {
  MPI_Init(&argc, &argv);
  int rank;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  for (long bytes = 4; bytes <= (64L << 20); bytes *= 4) {
    int count = (int) (bytes / 4);
    float *buf = malloc(bytes);
    memset(buf, 0, bytes);
    int iters = bytes <= 65536 ? 500 : bytes <= (4L << 20) ? 20 : 3;
    double reps[5];
    for (int w = 0; w < iters / 5 + 1; w++) {
      MPI_Allreduce(MPI_IN_PLACE, buf, count, MPI_FLOAT, MPI_SUM, MPI_COMM_WORLD);
    }
    for (int r = 0; r < 5; r++) {
      MPI_Barrier(MPI_COMM_WORLD);
      double t0 = MPI_Wtime();
      for (int i = 0; i < iters; i++) {
        MPI_Allreduce(MPI_IN_PLACE, buf, count, MPI_FLOAT, MPI_SUM, MPI_COMM_WORLD);
      }
      reps[r] = (MPI_Wtime() - t0) / iters * 1e6;
    }
    qsort(reps, 5, sizeof(double), cmp);
    if (rank == 0) {
      printf("C_ALLREDUCE %ld %.2f\n", bytes, reps[2]);
      fflush(stdout);
    }
    free(buf);
  }
  MPI_Finalize();
  return 0;
}
