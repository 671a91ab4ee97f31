namespace Strider.Package.Tests;

/// <summary>One packed runtime shared by every test class (packing is slow); their consumer builds run one at a time.</summary>
[CollectionDefinition(Name)]
public sealed class PackedRuntimeCollection : ICollectionFixture<PackedRuntime>
{
    public const string Name = "Packed runtime";
}
