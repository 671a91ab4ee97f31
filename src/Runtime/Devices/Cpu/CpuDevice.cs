using System;
using System.Threading;

namespace Strider.Devices.Cpu;

/// <summary>
/// The fast CPU device: convolutions and dense layers on a register-tiled SIMD GEMM (AVX-512 where present, AVX2
/// otherwise), spread over a fixed pool of worker threads; workspaces are kept and grown on demand, so steady-state
/// calls allocate nothing. Results are deterministic: each output is computed by one work item in a fixed order.
/// Ops run synchronously on the calling thread. One device may serve several networks on several threads at once:
/// each op call carries its arguments in its own struct and borrows its own workspace set, and takes no lock. The
/// workers run one op at a time; an op called while they are busy runs its work items on its own thread, the same
/// items in the same order, so every value is the same bits whichever thread computed it.
/// </summary>
/// <remarks>
/// The op families live in their own classes (<see cref="CpuConvolution"/>, <see cref="CpuDense"/>,
/// <see cref="CpuPooling"/>, <see cref="CpuElementwise"/>, <see cref="CpuActivation"/>, <see cref="CpuNormalization"/>,
/// <see cref="CpuLoss"/>, <see cref="CpuOptimizer"/>); the device's partial files, one per family, check nothing
/// themselves and hand each call to them with a borrowed <see cref="CpuWorkspace"/>.
/// </remarks>
public sealed unsafe partial class CpuDevice : Device
{
    /// <summary>Workspace sets kept for reuse: more threads than this at once still work, the extra sets are dropped after use.</summary>
    private const int KeptWorkspaces = 8;

    private readonly WorkerPool _pool;
    private readonly CpuWorkspace?[] _workspaces = new CpuWorkspace?[KeptWorkspaces];

    /// <summary>A CPU device using all logical processors.</summary>
    public CpuDevice() : this(Environment.ProcessorCount) { }

    /// <summary>A CPU device with <paramref name="threads"/> worker threads (the calling thread counts as one).</summary>
    public CpuDevice(int threads) : this(threads, null) { }

    /// <summary>A CPU device named <paramref name="name"/>, or by its instance number ("cpu#2") when null.</summary>
    private CpuDevice(int threads, string? name)
    {
        if (threads < 1) throw new ArgumentOutOfRangeException(nameof(threads), threads, "A CPU device needs at least one thread.");
        _pool = new WorkerPool(threads);
        Name = name ?? InstanceName("cpu");
    }

    /// <summary>The CPU device for <see cref="Device.Default"/>, all logical processors, the one named plainly "cpu".</summary>
    internal static CpuDevice CreateDefault() => new(Environment.ProcessorCount, "cpu");

    /// <summary>"cpu" for the default device; "cpu#1", "cpu#2" ... for each other instance, so messages tell them apart.</summary>
    public override string Name { get; }

    /// <summary>Worker threads, the caller included.</summary>
    public int ThreadCount => _pool.WorkerCount;

    /// <summary>Parallel ops that found the workers busy with another thread's op and ran on their own thread instead.</summary>
    internal long ContendedOps => _pool.ContendedRuns;

    public override DeviceBuffer<T> Allocate<T>(long length) => new HostBuffer<T>(this, length);

    /// <summary>Stops the workers. An op still running on another thread finishes or throws <see cref="ObjectDisposedException"/>; later ones throw it.</summary>
    public override void Dispose()
    {
        IsDisposed = true;
        _pool.Dispose();
    }

    /// <summary>Lends a workspace set to one op call: a kept one when free (no lock, no allocation), else a new one.</summary>
    private Lease Rent()
    {
        for (int i = 0; i < _workspaces.Length; i++)
        {
            var kept = Interlocked.Exchange(ref _workspaces[i], null);
            if (kept is not null) return new Lease(this, kept);
        }
        return new Lease(this, new CpuWorkspace(_pool));
    }

    private void Return(CpuWorkspace workspace)
    {
        for (int i = 0; i < _workspaces.Length; i++)
            if (Interlocked.CompareExchange(ref _workspaces[i], workspace, null) is null) return;
    }

    /// <summary>One op call's workspace set, given back when the call ends.</summary>
    private readonly ref struct Lease(CpuDevice device, CpuWorkspace workspace)
    {
        public CpuWorkspace Workspace { get; } = workspace;

        public void Dispose() => device.Return(Workspace);
    }
}
