/// <summary>A request the service refuses: the HTTP status (4xx) and a message for the client, sent as {"error": "..."}.</summary>
internal sealed class RequestError(int status, string message) : Exception(message)
{
    public int Status { get; } = status;
}
