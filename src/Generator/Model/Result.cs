using System.Collections.Generic;
using System.Linq;
using Strider.Generator.Diagnostics;

namespace Strider.Generator.Model;

/// <summary>
/// A step's value (null when the step could not give one) with every diagnostic found up to it, in declaration order:
/// what each step of the pipeline (parse, plan, execution plan, emit) hands the next. Equal by content, so incremental
/// generator steps compare results.
/// </summary>
internal sealed record Result<T>(T? Value, EquatableArray<DiagnosticInfo> Diagnostics) where T : class
{
    public bool HasErrors => Diagnostics.Any(d => DiagnosticDescriptors.IsError(d.Id));

    /// <summary>The same diagnostics with another value (the next step's).</summary>
    public Result<TNext> With<TNext>(TNext? value) where TNext : class => new(value, Diagnostics);

    /// <summary>Another value, with these diagnostics and then <paramref name="more"/>.</summary>
    public Result<TNext> With<TNext>(TNext? value, IEnumerable<DiagnosticInfo> more) where TNext : class =>
        new(value, new EquatableArray<DiagnosticInfo>(Diagnostics.Concat(more)));
}

/// <summary>Construction of <see cref="Result{T}"/>.</summary>
internal static class Result
{
    public static Result<T> Of<T>(T? value, IEnumerable<DiagnosticInfo> diagnostics) where T : class =>
        new(value, new EquatableArray<DiagnosticInfo>(diagnostics));

    public static Result<T> Of<T>(T value) where T : class => new(value, EquatableArray<DiagnosticInfo>.Empty);
}
