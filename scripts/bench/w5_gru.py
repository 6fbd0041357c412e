"""PyTorch's figure for Ember's W5-gru benchmark (TrainingBenchmarks.w5Gru): the W5 language model with
nn.GRU in place of nn.LSTM at the same shapes (vocab 1000, embedding 64, hidden 128, one layer,
batch-first, sequence 35, batch 32, cross-entropy over every step, SGD lr 1.0, state carried over and
detached), float32 on the CPU, two threads. Prints the median, min and max of one step in ms.

    OMP_NUM_THREADS=2 OMP_WAIT_POLICY=PASSIVE /tmp/ember-torch-venv/bin/python scripts/bench/w5_gru.py [steps] [warmup]
"""
import statistics
import sys
import time

import torch
import torch.nn.functional as F

steps = int(sys.argv[1]) if len(sys.argv) > 1 else 30
warmup = int(sys.argv[2]) if len(sys.argv) > 2 else 10
torch.set_num_threads(2)
torch.manual_seed(0)
vocab, emb_dim, hidden, seq, batch = 1000, 64, 128, 35, 32
data = torch.randint(0, vocab, (batch, seq + 1))
x, y = data[:, :seq].contiguous(), data[:, 1:].contiguous().reshape(-1)


class GRULM(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.emb = torch.nn.Embedding(vocab, emb_dim)
        self.gru = torch.nn.GRU(emb_dim, hidden, batch_first=True)
        self.dec = torch.nn.Linear(hidden, vocab)

    def forward(self, idx, h):
        out, h = self.gru(self.emb(idx), h)
        return self.dec(out), h


model = GRULM()
opt = torch.optim.SGD(model.parameters(), lr=1.0)
state = [torch.zeros(1, batch, hidden)]


def step():
    opt.zero_grad()
    logits, h = model(x, state[0])
    loss = F.cross_entropy(logits.reshape(-1, vocab), y)
    loss.backward()
    opt.step()
    state[0] = h.detach()
    return loss.item()


for _ in range(warmup):
    step()
times = []
for _ in range(steps):
    t0 = time.perf_counter()
    step()
    times.append((time.perf_counter() - t0) * 1000)
print(f"torch {torch.__version__} threads {torch.get_num_threads()} W5-gru step ms: median {statistics.median(times):.1f}"
      f" min {min(times):.1f} max {max(times):.1f} over {steps} steps")
