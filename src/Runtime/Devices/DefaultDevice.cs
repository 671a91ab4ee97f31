using System;
using System.Collections.Generic;

namespace Strider.Devices;

public abstract partial class Device
{
    private static Device? s_default;
    private static readonly object s_lock = new();
    private static readonly Dictionary<string, int> s_instances = new();

    /// <summary>
    /// The device networks and tensors use when none is given: set it, or name one in the STRIDER_DEVICE environment
    /// variable (see <see cref="DeviceFactory"/>); the fast CPU device otherwise.
    /// </summary>
    public static Device Default
    {
        get
        {
            lock (s_lock)
                return s_default ??= DeviceFactory.CreateDefault(Environment.GetEnvironmentVariable("STRIDER_DEVICE"));
        }
        set
        {
            lock (s_lock) s_default = value ?? throw new ArgumentNullException(nameof(value));
        }
    }

    /// <summary>
    /// A name that tells a device instance from the others of its kind: <paramref name="kind"/>, '#' and how many
    /// instances of that kind were named so far ("cpu#1", "cpu#2"), so a message naming two devices shows that they
    /// differ even when both are CPU devices.
    /// </summary>
    protected static string InstanceName(string kind)
    {
        int number;
        lock (s_instances)
        {
            s_instances.TryGetValue(kind, out number);
            s_instances[kind] = ++number;
        }
        return kind + "#" + number.ToString(System.Globalization.CultureInfo.InvariantCulture);
    }
}
