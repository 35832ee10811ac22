namespace Baton.Orchestrator.Xds;

/// <summary>Told when a stream's ACK state moves, so pending weight steps can be re-evaluated.</summary>
internal interface IStreamObserver
{
    void OnProgress(AdsStream stream);

    void OnClosed(AdsStream stream);
}
