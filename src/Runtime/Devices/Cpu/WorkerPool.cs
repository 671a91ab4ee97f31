using System;
using System.Diagnostics;
using System.Runtime.ExceptionServices;
using System.Threading;

namespace Strider.Devices.Cpu;

/// <summary>
/// A fixed set of worker threads that run numbered work items of one job at a time. Unlike Parallel.For it allocates
/// nothing per call. Items are handed out dynamically, so each item must write only its own outputs (results then do
/// not depend on which worker ran it): the calling thread takes them from the front, the other workers from the back,
/// so each worker runs one contiguous run of items and, op after op, mostly the same part of the data (see remarks). A job's arguments travel as a pointer to the caller's own struct, so callers on
/// several threads share nothing but the workers: while one job runs, a job started on another thread runs all of its
/// items on that thread (worker 0), in the same items, so its values are the same bits.
/// </summary>
/// <remarks>
/// A network step is dozens of short ops (LeNet's are 0.05-2 ms), so waking a blocked thread per op (tens of
/// microseconds in a VM) would eat much of the second core. Idle workers therefore spin for a while after a job
/// before they block, as ONNX Runtime's and OpenMP's pools do, and a job never waits for a worker that has not woken
/// yet: the calling thread closes the job once every item is taken, and a late worker finds it closed.
/// Items taken one at a time from a shared counter interleave across workers, so each op read about half of its input
/// from the other core's cache. This VM at times places its two vCPUs far apart (a cache line's round trip between
/// them 335-460 ns instead of 80-180), and then ResNet-18 and MobileNetV2 at batch 1 ran at one thread's speed on two
/// (W5 23.3-24.0 ms, W6 8.6-8.9 ms) while a plain FMA loop still ran twice as fast on two threads. Taking items from
/// both ends keeps the dynamic balance and gives each worker a run it also had in the previous op: 17.4-17.9 and
/// 7.1-7.2 ms in that state, and 13.4-14.6 against 15.0-16.7 ms (W5) when the vCPUs are close (`handout` A/B).
/// Each take is a share of the items left (a quarter on two workers, down to one item), not one item: every take moves
/// the range's cache line between the cores (`handout 4 shares`, alternated step by step: W5 0.97-0.99x, W6 0.99x).
/// </remarks>
internal sealed unsafe class WorkerPool : IDisposable
{
    /// <summary>How long an idle worker spins for the next job before it blocks.</summary>
    private static readonly long SpinTicks = Stopwatch.Frequency / 2000; // 0.5 ms

    private readonly Thread[] _threads;
    private readonly SemaphoreSlim _wake = new(0);
    private readonly ManualResetEventSlim _idle = new(true);
    private delegate*<object, void*, int, int, void> _work;
    private object? _state;
    private void* _args;
    /// <summary>1 while a job owns the workers; a caller that finds it taken runs its job alone.</summary>
    private int _busy;
    /// <summary>The items not yet taken, [front, back): front in the low 32 bits, back in the high 32.</summary>
    private long _range;
    private int _generation;
    private int _open;
    private int _active;
    private int _sleepers;
    private volatile bool _stopping;
    private ExceptionDispatchInfo? _error;

    public WorkerPool(int workers)
    {
        WorkerCount = Math.Max(1, workers);
        // ManualResetEventSlim creates its lock object on its first blocking wait, on the waiting thread: make that wait
        // here (about 1 ms), so a caller that later outwaits its spin for a late worker allocates nothing.
        _idle.Reset();
        _idle.Wait(1);
        _idle.Set();
        _threads = new Thread[WorkerCount - 1];
        for (int i = 0; i < _threads.Length; i++)
        {
            int worker = i + 1;
            _threads[i] = new Thread(() => Loop(worker)) { IsBackground = true, Name = $"Strider CPU worker {worker}" };
            _threads[i].Start();
        }
    }

    /// <summary>Workers, the calling thread included (worker 0).</summary>
    public int WorkerCount { get; }

    /// <summary>Jobs that found the workers busy with another thread's job and ran on their own thread (for tests).</summary>
    public long ContendedRuns => Interlocked.Read(ref _contendedRuns);

    private long _contendedRuns;

    /// <summary>Every worker takes items from the front (one shared counter, as before the two-ended hand-out), for the benchmarks' `handout` A/B only.</summary>
    internal static bool FrontOnly;

    /// <summary>Every take is one item (as before takes of a share of what is left), for the benchmarks' `handout` A/B only.</summary>
    internal static bool OneAtATime;

    /// <summary>
    /// Runs work(state, args, item, worker) for item in [0, items) and returns when all are done: on the workers, or,
    /// when another thread's job holds them, on the calling thread alone (as worker 0).
    /// </summary>
    public void Run(object state, void* args, int items, delegate*<object, void*, int, int, void> work)
    {
        if (_stopping) throw new ObjectDisposedException(nameof(CpuDevice), "The CPU device was disposed; create a new one to run ops.");
        if (items <= 0) return;
        if (items == 1 || WorkerCount == 1)
        {
            for (int i = 0; i < items; i++) work(state, args, i, 0);
            return;
        }
        if (Interlocked.CompareExchange(ref _busy, 1, 0) != 0)
        {
            Interlocked.Increment(ref _contendedRuns);
            for (int i = 0; i < items; i++) work(state, args, i, 0);
            return;
        }
        try
        {
            RunOnWorkers(state, args, items, work);
        }
        finally
        {
            Volatile.Write(ref _busy, 0);
        }
    }

    private void RunOnWorkers(object state, void* args, int items, delegate*<object, void*, int, int, void> work)
    {
        _work = work;
        _state = state;
        _args = args;
        _range = (long)items << 32;
        _error = null;
        // Publish the job, then the new generation (full fences), then wake any worker that went to sleep.
        Interlocked.Exchange(ref _open, 1);
        Interlocked.Increment(ref _generation);
        int sleepers = Volatile.Read(ref _sleepers);
        if (sleepers > 0) _wake.Release(sleepers);
        Execute(0);
        // Every item is taken: close the job so a worker that wakes from now on skips it, then wait for those inside.
        Interlocked.Exchange(ref _open, 0);
        // Pure spinning first (SpinWait.SpinOnce yields to the scheduler after a few rounds: a system call per round).
        long waitSince = Stopwatch.GetTimestamp();
        while (Volatile.Read(ref _active) != 0)
        {
            if (Stopwatch.GetTimestamp() - waitSince < SpinTicks) Thread.SpinWait(20);
            else _idle.Wait(1);
        }
        _state = null;
        _args = null;
        _error?.Throw();
    }

    private void Execute(int worker)
    {
        try
        {
            bool front = worker == 0 || FrontOnly;
            var work = _work;
            object state = _state!;
            void* args = _args;
            while (true)
            {
                long range = Volatile.Read(ref _range);
                int first = (int)range, end = (int)(range >> 32);
                if (first >= end) return;
                // A share of what is left per take (one item once few are left): each take moves the range's cache line
                // between the cores, so fewer takes cost fewer round trips, while the last items still balance the cores.
                int take = OneAtATime ? 1 : Math.Max(1, (end - first) / (2 * WorkerCount));
                int from = front ? first : end - take;
                long rest = front ? ((long)end << 32) | (uint)(first + take) : ((long)(end - take) << 32) | (uint)first;
                if (Interlocked.CompareExchange(ref _range, rest, range) != range) continue;
                for (int item = from; item < from + take; item++) work(state, args, item, worker);
            }
        }
        catch (Exception e)
        {
            Interlocked.CompareExchange(ref _error, ExceptionDispatchInfo.Capture(e), null);
            Volatile.Write(ref _range, 0); // nothing left to take
        }
    }

    private void Loop(int worker)
    {
        int seen = Volatile.Read(ref _generation);
        while (true)
        {
            long idleSince = Stopwatch.GetTimestamp();
            int generation;
            while ((generation = Volatile.Read(ref _generation)) == seen)
            {
                if (_stopping) return;
                if (Stopwatch.GetTimestamp() - idleSince < SpinTicks)
                {
                    Thread.SpinWait(20);
                    continue;
                }
                // Register as asleep before the last check, so Run either sees the registration or we see its job.
                Interlocked.Increment(ref _sleepers);
                if (Volatile.Read(ref _generation) == seen && !_stopping) _wake.Wait();
                Interlocked.Decrement(ref _sleepers);
                idleSince = Stopwatch.GetTimestamp();
            }
            seen = generation;
            if (_stopping) return;
            // Join only a job that is still open; the caller waits for every joined worker before it returns.
            _idle.Reset();
            Interlocked.Increment(ref _active);
            if (Volatile.Read(ref _open) == 1) Execute(worker);
            if (Interlocked.Decrement(ref _active) == 0) _idle.Set();
        }
    }

    public void Dispose()
    {
        if (_stopping) return;
        _stopping = true;
        if (_threads.Length > 0) _wake.Release(_threads.Length);
        foreach (var t in _threads) t.Join();
        _wake.Dispose();
        _idle.Dispose();
    }
}
