using System;

namespace Strider.Devices;

/// <summary>
/// Marks a virtual default on <see cref="Device"/> that only composes the device's own ops (no Download or Upload), so
/// it runs on any device as it stands and a device overrides it only to fuse the ops. The ILGPU device's test that
/// every host round trip has a kernel skips these.
/// </summary>
[AttributeUsage(AttributeTargets.Method, Inherited = false)]
internal sealed class ComposesDeviceOpsAttribute : Attribute;
