"""A client written as the original demo's README describes it, unchanged:
register the session ID with `GET <http>/stream?id=ID`, then connect to
`<ws>/ws/ID` with `websockets` and no token, send text frames and read the
echoes "<ID>: <text>". Prints the registration status, then each echo."""
import asyncio
import sys
import urllib.request

import websockets


async def main(http_base: str, ws_base: str, session_id: str, messages: list[str]) -> None:
    with urllib.request.urlopen(f"{http_base}/stream?id={session_id}") as response:
        print(response.status, flush=True)
    async with websockets.connect(f"{ws_base}/ws/{session_id}") as ws:
        for message in messages:
            await ws.send(message)
            print(await ws.recv(), flush=True)


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4:]))
