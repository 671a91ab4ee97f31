#if !NET9_0_OR_GREATER
namespace System.Threading;

/// <summary>
/// net8.0 stand-in for .NET 9's System.Threading.Lock, the part the devices use (<see cref="EnterScope"/>, and so the
/// lock statement): a Monitor on a private object. On net9.0 and later this file compiles to nothing and the BCL's
/// faster lock is used.
/// </summary>
internal sealed class Lock
{
    // Monitor on a private object: the compiler warns (CS9216) on monitor-locking a Lock itself.
    private readonly object _monitor = new();

    /// <summary>Enters the lock, waiting if another thread holds it; dispose the scope to exit.</summary>
    public Scope EnterScope()
    {
        Monitor.Enter(_monitor);
        return new Scope(this);
    }

    /// <summary>Held until disposed, as with the BCL's Lock.Scope.</summary>
    public readonly ref struct Scope
    {
        private readonly Lock _owner;

        internal Scope(Lock owner) => _owner = owner;

        /// <summary>Exits the lock.</summary>
        public void Dispose() => Monitor.Exit(_owner._monitor);
    }
}
#endif
