package grpcserver

import (
	_ "embed"
	"fmt"

	"google.golang.org/grpc"
	"google.golang.org/grpc/reflection"
	v1reflectiongrpc "google.golang.org/grpc/reflection/grpc_reflection_v1"
	v1alphareflectiongrpc "google.golang.org/grpc/reflection/grpc_reflection_v1alpha"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protodesc"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"
	"google.golang.org/protobuf/types/descriptorpb"
)

// apiDescriptors is the hookwire.v1 API as a FileDescriptorSet WITH its
// source info (`buf build --exclude-imports`, written by `make generate`).
// The generated Go code drops comments; reflection serves these instead,
// so `grpcurl describe` shows what each field means.
//
//go:embed descriptors.binpb
var apiDescriptors []byte

// registerReflection registers gRPC server reflection (v1 and v1alpha)
// answering from the commented descriptors, falling back to the linked-in
// registry for everything else (well-known types, health, reflection).
func registerReflection(g *grpc.Server) {
	opts := reflection.ServerOptions{Services: g, DescriptorResolver: documented}
	v1reflectiongrpc.RegisterServerReflectionServer(g, reflection.NewServerV1(opts))
	v1alphareflectiongrpc.RegisterServerReflectionServer(g, reflection.NewServer(opts))
}

// documented resolves hookwire.v1 from apiDescriptors, the rest globally.
var documented = mustResolver(apiDescriptors)

// layered looks a descriptor up in own first, then in the global registry.
type layered struct{ own *protoregistry.Files }

func (l layered) FindFileByPath(path string) (protoreflect.FileDescriptor, error) {
	if fd, err := l.own.FindFileByPath(path); err == nil {
		return fd, nil
	}
	return protoregistry.GlobalFiles.FindFileByPath(path)
}

func (l layered) FindDescriptorByName(name protoreflect.FullName) (protoreflect.Descriptor, error) {
	if d, err := l.own.FindDescriptorByName(name); err == nil {
		return d, nil
	}
	return protoregistry.GlobalFiles.FindDescriptorByName(name)
}

// mustResolver builds the resolver; the embedded set is generated with the
// code, so a set that does not parse is a build defect.
func mustResolver(raw []byte) layered {
	l, err := newResolver(raw)
	if err != nil {
		panic(fmt.Sprintf("grpcserver: embedded API descriptors: %v (run make generate)", err))
	}
	return l
}

func newResolver(raw []byte) (layered, error) {
	var set descriptorpb.FileDescriptorSet
	if err := proto.Unmarshal(raw, &set); err != nil {
		return layered{}, err
	}
	l := layered{own: new(protoregistry.Files)}
	for _, fdp := range set.GetFile() { // buf writes dependencies first
		fd, err := protodesc.NewFile(fdp, l)
		if err != nil {
			return layered{}, fmt.Errorf("file %s: %w", fdp.GetName(), err)
		}
		if err := l.own.RegisterFile(fd); err != nil {
			return layered{}, fmt.Errorf("file %s: %w", fdp.GetName(), err)
		}
	}
	return l, nil
}
