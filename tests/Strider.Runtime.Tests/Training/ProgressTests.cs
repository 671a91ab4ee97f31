using Spectre.Console;
using Spectre.Console.Testing;
using Strider.Devices.Cpu;
using Strider.Training;

namespace Strider.Runtime.Tests.Training;

public sealed class ProgressTests : IDisposable
{
    private readonly CpuDevice _device = new(threads: 1);

    public void Dispose() => _device.Dispose();

    private Trainer<Features4, Scores3> Make(LinearClassifier net, Optimizer optimizer) =>
        new(net, optimizer, Loss.SoftmaxCrossEntropy, batchSize: 32, seed: 5);

    [Fact]
    public void Redirected_output_gets_one_plain_line_per_epoch()
    {
        var (train, validation) = Blobs.Make(200, seed: 11).Split(0.2, seed: 1);
        using var net = new LinearClassifier(_device, seed: 3);
        using var sgd = new Sgd(net, learningRate: 0.05f);
        using var trainer = Make(net, sgd);
        var log = new StringWriter();
        trainer.Log = log;
        trainer.Fit(train, epochs: 3, validation);
        var lines = log.ToString().Split(Environment.NewLine, StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(3, lines.Length);
        Assert.Matches(@"^epoch 1/3  loss \d\.\d{4}  acc \d+\.\d\d%  val_loss \d\.\d{4}  val_acc \d+\.\d\d%  [\d,]+ ex/s  \d+\.\d s  ~\d+\.\d s left$", lines[0]);
        Assert.Matches(@"^epoch 3/3  loss .* ex/s  \d+\.\d s$", lines[2]);
        Assert.False(log.ToString().Contains('\u001b'), "escape sequences in the plain log");
        // A writer that is not the console's never gets the live bar.
        Assert.False(TrainingProgress.IsTerminal(log));
        Assert.False(TrainingProgress.IsTerminal(null));
    }

    [Fact]
    public void A_terminal_gets_a_live_bar_per_batch_and_a_summary_line_per_epoch()
    {
        var (train, _) = Blobs.Make(200, seed: 11).Split(0.2, seed: 1);
        using var net = new LinearClassifier(_device, seed: 3);
        using var sgd = new Sgd(net, learningRate: 0.05f);
        using var trainer = Make(net, sgd);
        var terminal = new TestConsole().Interactive().EmitAnsiSequences();
        terminal.Profile.Width = 160;
        var console = new WatchedConsole(terminal);
        var log = new StringWriter();
        trainer.Log = log;
        trainer.Terminal = console;
        var seen = new List<BatchProgress>();
        // Each batch waits for the bar (redrawn every 100 ms) to draw it, so every state gets drawn however loaded the
        // machine; not the last, whose finished bar is hidden (HideCompleted).
        trainer.OnBatch = p =>
        {
            seen.Add(p);
            if (p.Batch < p.Batches) console.WaitFor($"epoch {p.Epoch}/{p.Epochs}  batch {p.Batch}/{p.Batches}  loss ");
        };
        trainer.Fit(train, epochs: 2);
        string output = terminal.Output;
        Assert.Contains("epoch 1/2  loss ", output);
        Assert.Contains("epoch 2/2  loss ", output);
        // The bar's description: epoch, batch, loss, examples/s (the ETA is its own column).
        Assert.Matches(@"epoch 2/2  batch [1-5]/5  loss \d\.\d{4}  [\d,]+ ex/s", output);
        Assert.Matches(@"\d+%", output);
        Assert.Empty(log.ToString());
        Assert.Equal(10, seen.Count);
    }

    [Fact]
    public void A_divergence_under_the_live_bar_surfaces_as_itself()
    {
        using var net = new LinearClassifier(_device, seed: 3);
        using var sgd = new Sgd(net, learningRate: 0.05f);
        using var trainer = Make(net, sgd);
        trainer.Terminal = new TestConsole().Interactive();
        var nan = new Strider.Data.Dataset([1f, float.NaN, 0f, 0f], 4, [0]);
        Assert.Contains("The loss became NaN at epoch 1, batch 1", Assert.Throws<TrainingDivergedException>(() => trainer.Fit(nan, 1)).Message);
    }

    /// <summary>A test console whose output another thread can wait on: the bar is drawn from Spectre's refresh thread.</summary>
    private sealed class WatchedConsole(TestConsole inner) : IAnsiConsole
    {
        private readonly object _gate = new();

        public Profile Profile => inner.Profile;
        public IAnsiConsoleCursor Cursor => inner.Cursor;
        public IAnsiConsoleInput Input => inner.Input;
        public IExclusivityMode ExclusivityMode => inner.ExclusivityMode;
        public Spectre.Console.Rendering.RenderPipeline Pipeline => inner.Pipeline;

        public void Clear(bool home)
        {
            lock (_gate) inner.Clear(home);
        }

        public void Write(Spectre.Console.Rendering.IRenderable renderable)
        {
            lock (_gate)
            {
                inner.Write(renderable);
                Monitor.PulseAll(_gate);
            }
        }

        public void WriteAnsi(Action<AnsiWriter> action)
        {
            lock (_gate)
            {
                inner.WriteAnsi(action);
                Monitor.PulseAll(_gate);
            }
        }

        /// <summary>Waits until the output contains <paramref name="text"/>: up to a minute, since a loaded machine can be slow.</summary>
        public void WaitFor(string text)
        {
            var deadline = DateTime.UtcNow.AddMinutes(1);
            lock (_gate)
                while (!inner.Output.Contains(text, StringComparison.Ordinal))
                {
                    var left = deadline - DateTime.UtcNow;
                    if (left <= TimeSpan.Zero) Assert.Fail($"After a minute the bar had not drawn '{text}'.");
                    Monitor.Wait(_gate, left);
                }
        }
    }
}
