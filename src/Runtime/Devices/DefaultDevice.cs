using System;

namespace Strider.Devices;

public abstract partial class Device
{
    private static Device? s_default;
    private static readonly object s_lock = new();

    /// <summary>
    /// The device networks and tensors use when none is given: set it, or name one in the STRIDER_DEVICE environment
    /// variable (see <see cref="DeviceFactory"/>); the fast CPU device otherwise.
    /// </summary>
    public static Device Default
    {
        get
        {
            lock (s_lock)
                return s_default ??= DeviceFactory.Create(Environment.GetEnvironmentVariable("STRIDER_DEVICE"));
        }
        set
        {
            lock (s_lock) s_default = value ?? throw new ArgumentNullException(nameof(value));
        }
    }
}
