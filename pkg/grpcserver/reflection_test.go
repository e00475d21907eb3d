package grpcserver

import (
	"context"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	v1reflectiongrpc "google.golang.org/grpc/reflection/grpc_reflection_v1"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protodesc"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"
	"google.golang.org/protobuf/types/descriptorpb"

	hookwirev1 "github.com/hookwire/hookwire/pkg/gen/hookwire/v1"
)

// TestReflectionCarriesComments: what grpcurl describe reads over server
// reflection includes the proto comments (e.g. what an empty retry policy
// means), and the embedded descriptors match the linked-in generated code.
func TestReflectionCarriesComments(t *testing.T) {
	s, err := New("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	hookwirev1.RegisterRegistryServiceServer(s.GRPC, hookwirev1.UnimplementedRegistryServiceServer{})
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx) }()
	defer func() { cancel(); <-done }()

	cc, err := grpc.NewClient(s.Addr(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	defer cc.Close()
	stream, err := v1reflectiongrpc.NewServerReflectionClient(cc).ServerReflectionInfo(ctx)
	if err != nil {
		t.Fatal(err)
	}
	req := &v1reflectiongrpc.ServerReflectionRequest{MessageRequest: &v1reflectiongrpc.ServerReflectionRequest_FileContainingSymbol{FileContainingSymbol: "hookwire.v1.RetryPolicy"}}
	if err := stream.Send(req); err != nil {
		t.Fatal(err)
	}
	resp, err := stream.Recv()
	if err != nil {
		t.Fatal(err)
	}
	files := resp.GetFileDescriptorResponse().GetFileDescriptorProto()
	if len(files) == 0 {
		t.Fatalf("no file for hookwire.v1.RetryPolicy: %v", resp)
	}
	var comments []string
	for _, raw := range files {
		var fd descriptorpb.FileDescriptorProto
		if err := proto.Unmarshal(raw, &fd); err != nil {
			t.Fatal(err)
		}
		for _, loc := range fd.GetSourceCodeInfo().GetLocation() {
			comments = append(comments, loc.GetLeadingComments())
		}
	}
	if all := strings.Join(comments, "\n"); !strings.Contains(all, "means ONE attempt") {
		t.Fatalf("reflection carries no proto comments (want the RetryPolicy.delays comment); got %d comments", len(comments))
	}
}

// TestEmbeddedDescriptorsMatchGeneratedCode: every message and service of
// the embedded set exists, with the same fields, in the generated Go code;
// a stale descriptors.binpb (proto changed, make generate not run) fails.
func TestEmbeddedDescriptorsMatchGeneratedCode(t *testing.T) {
	l, err := newResolver(apiDescriptors)
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"hookwire.v1.Subscription", "hookwire.v1.Event", "hookwire.v1.Delivery", "hookwire.v1.RegistryService", "hookwire.v1.IngestService", "hookwire.v1.DeliveryService"} {
		own, err := l.own.FindDescriptorByName(protoreflect.FullName(name))
		if err != nil {
			t.Fatalf("%s missing from descriptors.binpb: %v", name, err)
		}
		gen, err := protoregistry.GlobalFiles.FindDescriptorByName(protoreflect.FullName(name))
		if err != nil {
			t.Fatalf("%s missing from the generated code: %v", name, err)
		}
		ownFile, genFile := protodesc.ToFileDescriptorProto(own.ParentFile()), protodesc.ToFileDescriptorProto(gen.ParentFile())
		ownFile.SourceCodeInfo, genFile.SourceCodeInfo = nil, nil
		if !proto.Equal(ownFile, genFile) {
			t.Fatalf("%s: descriptors.binpb differs from the generated code: run make generate", ownFile.GetName())
		}
	}
}
