namespace Strider.Runtime.Tests.DataTests;

/// <summary>
/// Holds every thread-pool worker and stops the pool from adding more until disposed, as a loaded test run can (other
/// tests' pool work queued first or blocking): anything queued to the pool meanwhile waits. Tests that use it run in
/// <see cref="SaturatedThreadPoolCollection"/>, alone, since the pool is process-wide.
/// </summary>
internal sealed class SaturatedThreadPool : IDisposable
{
    private readonly ManualResetEventSlim _release = new();
    private readonly int _maxWorkers, _maxIo;
    private bool _disposed;

    public SaturatedThreadPool()
    {
        ThreadPool.GetMaxThreads(out _maxWorkers, out _maxIo);
        ThreadPool.GetMinThreads(out int minWorkers, out _);
        // Some pool threads may be busy already (the test runner's): the limit counts them, the held ones fill the rest.
        int limit = Math.Max(Math.Max(minWorkers, Environment.ProcessorCount), ThreadPool.ThreadCount);
        if (!ThreadPool.SetMaxThreads(limit, _maxIo))
            throw new InvalidOperationException($"The thread pool refused a limit of {limit} workers (min {minWorkers}, {Environment.ProcessorCount} processors).");
        try
        {
            // Hold one worker after another until one queued item no longer starts: then nothing queued runs.
            for (int held = 0; ; held++)
            {
                if (held > limit)
                    throw new InvalidOperationException($"The thread pool still ran work with {held} workers held and a limit of {limit}.");
                // Not disposed: once the pool is free the last item runs after this has returned.
                var started = new ManualResetEventSlim();
                ThreadPool.UnsafeQueueUserWorkItem(_ =>
                {
                    started.Set();
                    _release.Wait();
                }, null);
                if (!started.Wait(TimeSpan.FromSeconds(2))) break;
            }
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    /// <summary>Lets the held workers go and restores the pool's limit.</summary>
    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        ThreadPool.SetMaxThreads(_maxWorkers, _maxIo);
        _release.Set();
    }
}

/// <summary>Tests that hold the whole thread pool run after the others, one at a time.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class SaturatedThreadPoolCollection
{
    public const string Name = "Saturated thread pool";
}
