namespace Strider.Generator.Tests;

public class SmokeTests
{
    [Fact]
    public void Generator_assembly_loads() => Assert.NotNull(typeof(Strider.Generator.Polyfill).Assembly);
}
