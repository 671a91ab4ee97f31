using System;
using System.ComponentModel;
using System.Threading;

namespace Strider;

/// <summary>
/// One call at a time on one network (for generated code). A network keeps each call's activations and gradients in
/// buffers it reuses, so two calls that overlap, from two threads, would overwrite each other's values; the guard
/// makes the second one throw instead. Costs one interlocked exchange per call, no lock and no allocation.
/// </summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public sealed class NetworkCallGuard
{
    private readonly string _network;
    private int _busy;
    // Written by the call that holds the guard and read only to word the error: a torn read just names an older call.
    private string _member = "";
    private int _thread;

    /// <param name="network">The network's class name, for the error message.</param>
    public NetworkCallGuard(string network) => _network = network ?? throw new ArgumentNullException(nameof(network));

    /// <summary>Starts <paramref name="member"/>; throws <see cref="InvalidOperationException"/> when another call is running.</summary>
    public Call Enter(string member)
    {
        if (Interlocked.CompareExchange(ref _busy, 1, 0) != 0) throw Overlap(member);
        _member = member;
        _thread = Environment.CurrentManagedThreadId;
        return new Call(this);
    }

    private InvalidOperationException Overlap(string member)
    {
        string other = Volatile.Read(ref _member);
        int thread = Volatile.Read(ref _thread), current = Environment.CurrentManagedThreadId;
        string where = thread == current ? "on this same thread (called from inside it)" : $"on thread {thread} (this is thread {current})";
        return new InvalidOperationException(
            $"{_network}.{member} was called while {_network}.{other} was still running {where}. A network reuses its " +
            "activation and gradient buffers from call to call, so it serves one call at a time, and a result it returns " +
            "is valid until its next call: give each thread its own network (copy the weights with Save and Load), or " +
            "hold one lock across each call and the use of its result.");
    }

    /// <summary>The running call: disposing it ends the call (generated code: <c>using var call = guard.Enter(...)</c>).</summary>
    [EditorBrowsable(EditorBrowsableState.Never)]
    public readonly struct Call : IDisposable
    {
        private readonly NetworkCallGuard? _guard;

        internal Call(NetworkCallGuard guard) => _guard = guard;

        public void Dispose()
        {
            if (_guard is not null) Volatile.Write(ref _guard._busy, 0);
        }
    }
}
