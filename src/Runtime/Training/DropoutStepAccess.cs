using System;
using System.Reflection;

namespace Strider.Training;

/// <summary>
/// Reads and writes a generated network's <c>DropoutStep</c> (emitted only for nets with Dropout; not on
/// <see cref="INetwork"/>): each training-mode Forward advances it, so a checkpoint saves it and a diverged batch puts it
/// back. Bound once to delegates, so the per-batch calls neither box nor reflect.
/// </summary>
internal sealed class DropoutStepAccess(Func<long> get, Action<long> set)
{
    public long Get() => get();

    public void Set(long value) => set(value);

    public static DropoutStepAccess? For(INetwork network)
    {
        var property = network.GetType().GetProperty("DropoutStep", BindingFlags.Public | BindingFlags.Instance);
        if (property is null || property.PropertyType != typeof(long) || property.GetMethod is null || property.SetMethod is null) return null;
        return new DropoutStepAccess(property.GetMethod.CreateDelegate<Func<long>>(network), property.SetMethod.CreateDelegate<Action<long>>(network));
    }
}
