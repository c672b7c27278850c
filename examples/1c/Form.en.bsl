// Form module: a chat over Socket.IO (1C code in English syntax).
// The form has attributes Message (String) and Log (String, multi-line field);
// the form's ExternalEvent handler is the ExternalEvent procedure below.

&AtClient
Var Client;

&AtClient
Procedure OnOpen(Cancel)
	// The "SocketIO" common template (type "Add-in") holds the ZIP with MANIFEST.XML;
	// while debugging, a path to libsocketio1c.so / socketio1c.dll works too.
	If Not AttachAddIn("CommonTemplate.SocketIO", "SocketIO", AddInType.Native) Then
		Message("Could not attach the SocketIO add-in");
		Return;
	EndIf;
	Client = New("AddIn.SocketIO.Client");
	Client.EventSource = "Chat";
	Client.Timeout = 10;
	Client.On("greeting");
	Client.On("new message");
	Client.Connect("ws://localhost:3000/");
EndProcedure

&AtClient
Procedure SendMessage(Command)
	// While not connected the message waits in a buffer and goes out after connecting.
	Client.Send("new message", Message);
	Message = "";
EndProcedure

&AtClient
Procedure ExternalEvent(Source, Event, Data)
	If Source <> "Chat" Then
		Return;
	EndIf;
	If Event = "{""Event"": ""Connection"",""State"": ""Open""}" Then
		Log = Log + "Connected, SessionID = " + Client.SessionID + Chars.LF;
	ElsIf Data = "{""Connection"": ""Fail""}" Then
		Log = Log + "Could not connect: " + Client.LastError + Chars.LF;
	ElsIf Data = "{""Connection"": ""Close""}" Then
		Log = Log + "Closed: " + Event + Chars.LF;
	Else
		// Event: {"Event": "Message","Namespace": "/","Name": "new message","Type": "String"}
		// Data: ["new message", …arguments] as JSON.
		Reader = New JSONReader;
		Reader.SetString(Data);
		Arguments = ReadJSON(Reader);
		Log = Log + Arguments[0] + ": " + Data + Chars.LF;
	EndIf;
EndProcedure

&AtClient
Procedure OnClose(Exit)
	If Client <> Undefined Then
		Client.Disconnect();
	EndIf;
EndProcedure
