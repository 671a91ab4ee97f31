using System;
using System.Runtime.ExceptionServices;
using System.Threading;

namespace Strider.Devices.Cpu;

/// <summary>
/// A fixed set of worker threads that run numbered work items of one job at a time. Unlike Parallel.For it allocates
/// nothing per call. Items are handed out dynamically, so each item must write only its own outputs (results then do
/// not depend on which worker ran it).
/// </summary>
internal sealed unsafe class WorkerPool : IDisposable
{
    private readonly Thread[] _threads;
    private readonly SemaphoreSlim[] _start;
    private readonly ManualResetEventSlim _done = new(false);
    private delegate*<object, int, int, void> _work;
    private object? _state;
    private int _items;
    private int _next;
    private int _running;
    private volatile bool _stopping;
    private ExceptionDispatchInfo? _error;

    public WorkerPool(int workers)
    {
        WorkerCount = Math.Max(1, workers);
        _threads = new Thread[WorkerCount - 1];
        _start = new SemaphoreSlim[WorkerCount - 1];
        for (int i = 0; i < _threads.Length; i++)
        {
            _start[i] = new SemaphoreSlim(0);
            int worker = i + 1;
            _threads[i] = new Thread(() => Loop(worker)) { IsBackground = true, Name = $"Strider CPU worker {worker}" };
            _threads[i].Start();
        }
    }

    /// <summary>Workers, the calling thread included (worker 0).</summary>
    public int WorkerCount { get; }

    /// <summary>Runs work(state, item, worker) for item in [0, items) and returns when all are done.</summary>
    public void Run(object state, int items, delegate*<object, int, int, void> work)
    {
        if (_stopping) throw new ObjectDisposedException(nameof(CpuDevice), "The CPU device was disposed; create a new one to run ops.");
        if (items <= 0) return;
        if (items == 1 || WorkerCount == 1)
        {
            for (int i = 0; i < items; i++) work(state, i, 0);
            return;
        }
        int helpers = Math.Min(_threads.Length, items - 1);
        _work = work;
        _state = state;
        _items = items;
        _next = 0;
        _error = null;
        _running = helpers + 1;
        _done.Reset();
        for (int i = 0; i < helpers; i++) _start[i].Release();
        Execute(0);
        _done.Wait();
        _state = null;
        _error?.Throw();
    }

    private void Execute(int worker)
    {
        try
        {
            int i;
            while ((i = Interlocked.Increment(ref _next) - 1) < _items) _work(_state!, i, worker);
        }
        catch (Exception e)
        {
            _error ??= ExceptionDispatchInfo.Capture(e);
            Volatile.Write(ref _next, int.MaxValue / 2);
        }
        if (Interlocked.Decrement(ref _running) == 0) _done.Set();
    }

    private void Loop(int worker)
    {
        while (true)
        {
            _start[worker - 1].Wait();
            if (_stopping) return;
            Execute(worker);
        }
    }

    public void Dispose()
    {
        if (_stopping) return;
        _stopping = true;
        foreach (var s in _start) s.Release();
        foreach (var t in _threads) t.Join();
        foreach (var s in _start) s.Dispose();
        _done.Dispose();
    }
}
