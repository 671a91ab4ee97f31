namespace Strider.Generator;

/// <summary>Anchor type for the generator assembly (tests locate the assembly through it).</summary>
internal static class Polyfill
{
}
