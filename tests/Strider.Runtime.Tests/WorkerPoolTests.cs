using Strider.Devices.Cpu;

namespace Strider.Runtime.Tests;

/// <summary>The worker pool's hand-out: every item once, the caller's items a prefix of the job and the others' a suffix.</summary>
public sealed unsafe class WorkerPoolTests
{
    private sealed class Record
    {
        public int[] Worker = [];
        public int[] Runs = [];
    }

    private static void Note(object state, void* args, int item, int worker)
    {
        var r = (Record)state;
        Interlocked.Increment(ref r.Runs[item]);
        r.Worker[item] = worker;
        // A little work per item, so every worker gets a share.
        double x = item;
        for (int i = 0; i < 2000; i++) x = Math.Sqrt(x + i);
        if (x < 0) throw new InvalidOperationException();
    }

    [Theory]
    [InlineData(2)]
    [InlineData(3)]
    public void Every_item_runs_once_the_caller_takes_a_prefix_and_the_other_workers_a_suffix(int workers)
    {
        using var pool = new WorkerPool(workers);
        bool shared = false;
        for (int job = 0; job < 300; job++)
        {
            int items = 1 + job % 97;
            var r = new Record { Worker = new int[items], Runs = new int[items] };
            pool.Run(r, null, items, &Note);
            Assert.All(r.Runs, runs => Assert.Equal(1, runs));
            // The caller's items are [0, k) and the other workers' [k, items): each keeps one run of the data.
            int k = Array.FindIndex(r.Worker, w => w != 0);
            if (k < 0) continue;
            Assert.True(Array.TrueForAll(r.Worker[k..], w => w != 0), $"job {job}: the caller took item(s) after another worker's item {k}: {string.Join(",", r.Worker)}");
            shared |= k > 0;
        }
        Assert.True(shared, "no job was shared between the caller and another worker");
    }

    private static void FailAt(object state, void* args, int item, int worker)
    {
        var r = (Record)state;
        Interlocked.Increment(ref r.Runs[item]);
        if (item == 5) throw new InvalidOperationException("item 5");
    }

    [Fact]
    public void An_items_exception_reaches_the_caller_and_the_pool_runs_the_next_job()
    {
        using var pool = new WorkerPool(2);
        var r = new Record { Worker = new int[64], Runs = new int[64] };
        var ex = Assert.Throws<InvalidOperationException>(() => pool.Run(r, null, 64, &FailAt));
        Assert.Equal("item 5", ex.Message);
        Assert.All(r.Runs, runs => Assert.InRange(runs, 0, 1));
        var next = new Record { Worker = new int[40], Runs = new int[40] };
        pool.Run(next, null, 40, &Note);
        Assert.All(next.Runs, runs => Assert.Equal(1, runs));
    }
}
